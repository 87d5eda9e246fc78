import { TIMELINE_BUCKET_SIZES, type TimelineBucket, type TimelineBucketSize, timeline } from '../catalog/timeline.ts';
import { builder } from './builder.ts';
import { catalogFilter, PhotoFilter } from './photo-filter.ts';

const TimelineBucketSizeEnum = builder.enumType('TimelineBucketSize', {
  description: 'A UTC calendar day, month or year: the clock of every DateTime in this API.',
  values: TIMELINE_BUCKET_SIZES,
});

const TimelineBucketRef = builder.objectRef<TimelineBucket>('TimelineBucket').implement({
  description:
    'How many photos were taken in [start, end): exactly what photos(filter: { takenAfter: start, takenBefore: end }) holds. The bucket of photos without a capture time (or whose capture time the caller may not see) has neither.',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', nullable: true, resolve: (bucket) => bucket.startMs }),
    end: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The next bucket’s start.',
      resolve: (bucket) => bucket.endMs,
    }),
    count: t.exposeInt('count'),
  }),
});

builder.queryField('timeline', (t) =>
  t.field({
    type: [TimelineBucketRef],
    description:
      'The photos the caller may see that pass the filter, counted per bucket: newest first, those without a capture time last, empty buckets left out. Enough for a scrubber over any number of years without loading a photo; page a bucket with photos(filter: { takenAfter, takenBefore }).',
    args: {
      bucket: t.arg({ type: TimelineBucketSizeEnum, required: true }),
      filter: t.arg({ type: PhotoFilter }),
    },
    resolve: (_parent, args, ctx) => timeline(ctx.reads, ctx.viewer, catalogFilter(args.filter), args.bucket as TimelineBucketSize),
  }),
);
