import { builder } from './builder.ts';

export interface CameraInfo {
  make: string | null;
  model: string | null;
  lens: string | null;
}

export interface ExposureInfo {
  exposureTime: number | null;
  fNumber: number | null;
  iso: number | null;
  focalLength: number | null;
}

export interface LocationInfo {
  latitude: number;
  longitude: number;
  altitude: number | null;
}

export interface PlaceholderInfo {
  hash: string;
  dominantColor: string | null;
}

export const CameraRef = builder.objectRef<CameraInfo>('Camera').implement({
  description: 'The camera and lens, as EXIF names them.',
  fields: (t) => ({
    make: t.exposeString('make', { nullable: true }),
    model: t.exposeString('model', { nullable: true }),
    lens: t.exposeString('lens', { nullable: true }),
  }),
});

/** 1/250 for short exposures, 2.5 for long ones: how photographers write shutter speeds. */
function shutterSpeed(seconds: number): string {
  if (seconds >= 1 || seconds <= 0) return `${Number(seconds.toFixed(1))}`;
  return `1/${Math.round(1 / seconds)}`;
}

export const ExposureRef = builder.objectRef<ExposureInfo>('Exposure').implement({
  description: 'How the photo was exposed, from EXIF.',
  fields: (t) => ({
    exposureTime: t.exposeFloat('exposureTime', { nullable: true, description: 'Seconds.' }),
    shutterSpeed: t.string({
      nullable: true,
      description: 'The exposure time as written on cameras, e.g. "1/250".',
      resolve: (exposure) => (exposure.exposureTime === null ? null : shutterSpeed(exposure.exposureTime)),
    }),
    fNumber: t.exposeFloat('fNumber', { nullable: true }),
    iso: t.exposeInt('iso', { nullable: true }),
    focalLength: t.exposeFloat('focalLength', { nullable: true, description: 'Millimetres.' }),
  }),
});

export const LocationRef = builder.objectRef<LocationInfo>('Location').implement({
  description: 'Where the photo was taken (WGS 84), from EXIF GPS tags.',
  fields: (t) => ({
    latitude: t.exposeFloat('latitude'),
    longitude: t.exposeFloat('longitude'),
    altitude: t.exposeFloat('altitude', { nullable: true, description: 'Metres above sea level.' }),
  }),
});

export interface PlaceInfo {
  name: string;
  country: string;
  countryCode: string;
}

export const PlaceRef = builder.objectRef<PlaceInfo>('Place').implement({
  description:
    'The nearest town or city of 1,000 people or more (within 50 km) to where the photo was taken, from GeoNames (geonames.org, CC BY 4.0), looked up on this server.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'As GeoNames names it (e.g. "Zürich", "Lisbon").' }),
    country: t.exposeString('country', { description: 'In English.' }),
    countryCode: t.exposeString('countryCode', { description: 'ISO 3166-1 alpha-2.' }),
  }),
});

export const PlaceholderRef = builder.objectRef<PlaceholderInfo>('Placeholder').implement({
  description: 'What to paint while the image loads.',
  fields: (t) => ({
    hash: t.exposeString('hash', { description: 'A ThumbHash, base64.' }),
    dominantColor: t.exposeString('dominantColor', { nullable: true, description: 'CSS hex colour, e.g. "#a1b2c3".' }),
  }),
});
