import { changeWasVisibleTo } from '../catalog/access.ts';
import type { AlbumRecord } from '../catalog/album-records.ts';
import type { Change } from '../catalog/change-feed.ts';
import type { PhotoRecord } from '../catalog/photo-records.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { rememberedGlobalID } from './global-ids.ts';
import { AlbumRef, PhotoRef } from './refs.ts';

/** Photos and albums in one event, at most: a big import arrives as a run of events a client can render as they come. */
const MAX_SUBJECTS_PER_EVENT = 100;
/** Distinct photos and albums waiting for a subscriber that reads slowly (about 100 B each); past it, `missed`. */
const MAX_WAITING_SUBJECTS = 1_000;

interface LibraryChange {
  photos: PhotoRecord[];
  removedPhotoIds: string[];
  albums: AlbumRecord[];
  removedAlbumIds: string[];
  missed: boolean;
}

/** What is waiting of one photo or album: its id, and whether the subscriber could see it before. */
interface WaitingSubject {
  subject: Change['subject'];
  rowId: number;
  publicId: string;
  wasVisible: boolean;
}

const LibraryChangeRef = builder.objectRef<LibraryChange>('LibraryChange').implement({
  description:
    'What changed in the library since the last event, as the subscriber may see it: photos and albums added or changed (read afresh), and the ids of those it saw that are gone from its view (deleted, or no longer visible to it).',
  fields: (t) => ({
    photos: t.field({ type: [PhotoRef], resolve: (change) => change.photos }),
    removedPhotoIds: t.idList({ resolve: (change) => change.removedPhotoIds }),
    albums: t.field({ type: [AlbumRef], resolve: (change) => change.albums }),
    removedAlbumIds: t.idList({ resolve: (change) => change.removedAlbumIds }),
    missed: t.exposeBoolean('missed', {
      description: 'More changed than this subscriber had read (it fell far behind): refetch what you show.',
    }),
  }),
});

builder.subscriptionType({
  fields: (t) => ({
    libraryChanged: t.field({
      type: LibraryChangeRef,
      description:
        'An event each time photos or albums change, whoever changes them (this server, a `lightbox worker`, a CLI import): within about 100 ms of the commit. Anonymous callers hear of public photos and albums, a share link of its album too, the admin of everything. A share link is checked before each event: once revoked or expired, the subscription completes instead.',
      subscribe: (_root, _args, ctx) => new LibraryChanges(ctx),
      resolve: (change) => change,
    }),
  }),
});

/**
 * One subscriber's events: changes from the feed wait here, merged by photo or album (a photo
 * processed in five writes is one entry), until the subscriber asks for its next event, which
 * reads them afresh as the subscriber may see them. An iterator rather than an async generator:
 * `return` (the client went away) must end a wait for changes at once.
 */
class LibraryChanges implements AsyncIterableIterator<LibraryChange> {
  private readonly waiting = new Map<string, WaitingSubject>();
  private missed = false;
  private wake: (() => void) | undefined;
  private ended = false;
  private readonly stopListening: () => void;

  constructor(private readonly ctx: GraphQLContext) {
    if (ctx.changeFeed === undefined) throw new Error('no change feed here');
    this.stopListening = ctx.changeFeed.listen(
      (changes) => this.arrive(changes),
      () => this.end(),
    );
    ctx.signal.addEventListener('abort', () => this.end(), { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<LibraryChange>> {
    while (!this.ended) {
      if (this.waiting.size === 0 && !this.missed) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const { ctx } = this;
      if (ctx.viewer.kind === 'share' && !ctx.shares.stillGrants(ctx.viewer.grant)) break;
      // The context Yoga executes each event with is this one (graphql-js keeps it), but not the object the factory made.
      Object.assign(ctx, ctx.freshReads());
      const change = await this.takeEvent();
      if (change !== undefined) return { value: change, done: false };
    }
    this.end();
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<LibraryChange>> {
    this.end();
    return { value: undefined, done: true };
  }

  private arrive(changes: readonly Change[]): void {
    for (const change of changes) {
      const key = `${change.subject}:${change.rowId}`;
      const known = this.waiting.get(key);
      const wasVisible = changeWasVisibleTo(this.ctx.viewer, change);
      if (known !== undefined) {
        known.wasVisible ||= wasVisible;
        // A membership row of a photo already deleted carries no public id.
        if (change.publicId !== '') known.publicId = change.publicId;
      } else if (this.waiting.size >= MAX_WAITING_SUBJECTS) this.missed = true;
      else this.waiting.set(key, { subject: change.subject, rowId: change.rowId, publicId: change.publicId, wasVisible });
    }
    this.wake?.();
  }

  /** The next event of what waits (up to MAX_SUBJECTS_PER_EVENT of it), or undefined when none of it is the subscriber's to see. */
  private async takeEvent(): Promise<LibraryChange | undefined> {
    const taken: WaitingSubject[] = [];
    for (const [key, subject] of this.waiting) {
      if (taken.length === MAX_SUBJECTS_PER_EVENT) break;
      taken.push(subject);
      this.waiting.delete(key);
    }
    const missed = this.missed;
    this.missed = false;
    const photos = taken.filter((subject) => subject.subject === 'photo');
    const albums = taken.filter((subject) => subject.subject === 'album');
    const { loaders } = this.ctx;
    const [photoRecords, albumRecords] = await Promise.all([
      loaders.photos.loadMany(photos.map((subject) => subject.rowId)),
      loaders.albums.loadMany(albums.map((subject) => subject.rowId)),
    ]);
    const change: LibraryChange = {
      photos: seen(photoRecords),
      removedPhotoIds: gone(photos, photoRecords, 'Photo'),
      albums: seen(albumRecords),
      removedAlbumIds: gone(albums, albumRecords, 'Album'),
      missed,
    };
    const empty = change.photos.length + change.removedPhotoIds.length + change.albums.length + change.removedAlbumIds.length === 0;
    return empty && !missed ? undefined : change;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopListening();
    this.waiting.clear();
    this.wake?.();
  }
}

/** The records the subscriber may see now (the loaders apply the access rule: null for hidden and missing alike). */
function seen<Record>(records: readonly (Record | null | Error)[]): Record[] {
  const visible: Record[] = [];
  for (const record of records) {
    if (record instanceof Error) throw record;
    if (record !== null) visible.push(record);
  }
  return visible;
}

/** Global ids of the subjects the subscriber saw before and cannot see now. */
function gone(subjects: readonly WaitingSubject[], records: readonly unknown[], typename: 'Photo' | 'Album'): string[] {
  const ids: string[] = [];
  for (const [index, subject] of subjects.entries()) {
    if (records[index] === null && subject.wasVisible && subject.publicId !== '') ids.push(rememberedGlobalID(typename, subject.publicId));
  }
  return ids;
}
