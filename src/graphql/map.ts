import { type PhotoCluster, photoClusters } from '../catalog/photo-clusters.ts';
import { validGeoBox } from '../catalog/validation.ts';
import type { GeoBox } from '../places/geo-cells.ts';
import { builder } from './builder.ts';

export const GeoBoxInput = builder.inputType('GeoBox', {
  description:
    'A box on the map in degrees (WGS 84). West greater than east is a box across the antimeridian (170 to -170 is the 20° around it).',
  fields: (t) => ({
    west: t.float({ required: true }),
    south: t.float({ required: true }),
    east: t.float({ required: true }),
    north: t.float({ required: true }),
  }),
});

const GeoBoxRef = builder.objectRef<GeoBox>('GeoBounds').implement({
  fields: (t) => ({
    west: t.exposeFloat('west'),
    south: t.exposeFloat('south'),
    east: t.exposeFloat('east'),
    north: t.exposeFloat('north'),
  }),
});

const PhotoClusterRef = builder.objectRef<PhotoCluster>('PhotoCluster').implement({
  description: 'Geotagged photos of one map cell. photos(filter: { area: bounds }) lists them.',
  fields: (t) => ({
    count: t.exposeInt('count'),
    latitude: t.exposeFloat('latitude', { description: "The mean of its photos' positions." }),
    longitude: t.exposeFloat('longitude'),
    bounds: t.field({ type: GeoBoxRef, description: 'The cell.', resolve: (cluster) => cluster.bounds }),
  }),
});

builder.queryFields((t) => ({
  photoClusters: t.field({
    type: [PhotoClusterRef],
    description:
      "Where the owner's geotagged photos were taken, as clusters: one per cell of a grid whose cells are 180 / 2^zoom degrees wide (zoom 0 to 12 is served in steps of two: an odd zoom gets the cells of the zoom below), read from counts the database keeps, so a world map of any library is a few hundred rows. The owner's alone: empty for anyone else. A box holding more than 4,096 cells at the zoom is refused.",
    args: {
      bbox: t.arg({ type: GeoBoxInput, required: true }),
      zoom: t.arg.int({ required: true }),
    },
    resolve: (_parent, args, ctx) => photoClusters(ctx.reads, ctx.viewer, validGeoBox('bbox', args.bbox), args.zoom),
  }),
}));
