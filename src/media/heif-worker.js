// A worker thread that decodes HEIF with libheif compiled to WebAssembly. Plain JavaScript:
// worker threads do not inherit the tsx loader the main thread runs under. The WebAssembly
// heap only grows, so the pool (heif-decoder.ts) retires this thread after some decodes.
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import libheif from 'libheif-js/wasm-bundle.js';

if (parentPort === null) throw new Error('heif-worker.js runs as a worker thread');
const port = parentPort;
// The bundled build compiles its WebAssembly while loading; later builds may make that asynchronous.
await libheif.ready;

function failure(error) {
  return error && typeof error === 'object' && 'message' in error ? String(error.message) : String(error);
}

/** libheif answers an error object where it cannot give what was asked. */
function isHeifError(value) {
  return value !== null && typeof value === 'object' && 'code' in value && 'message' in value && !('channels' in value);
}

/**
 * The primary image only: thumbnails, depth and gain maps, and the other images of a burst or
 * collection are never decoded. Its size is as displayed (libheif applies irot, imir and clap),
 * and the EXIF Orientation tag plays no part: HEIF's own transforms are the ones that count.
 */
function withPrimaryImage(file, use) {
  const bytes = readFileSync(file);
  const context = libheif.heif_context_alloc();
  try {
    const read = libheif.heif_context_read_from_memory(context, bytes);
    if (read.code !== libheif.heif_error_code.heif_error_Ok) throw new Error(`not a readable HEIF file (${read.message})`);
    const handle = libheif.heif_js_context_get_primary_image_handle(context);
    if (!handle || isHeifError(handle))
      throw new Error(`the HEIF file has no primary image${handle?.message ? ` (${handle.message})` : ''}`);
    try {
      return use(handle);
    } finally {
      libheif.heif_image_handle_release(handle);
    }
  } finally {
    libheif.heif_context_free(context);
  }
}

function size(handle, maxPixels) {
  const width = libheif.heif_image_handle_get_width(handle);
  const height = libheif.heif_image_handle_get_height(handle);
  if (!(width > 0 && height > 0)) throw new Error('the HEIF primary image has no size');
  if (width * height > maxPixels) throw new Error(`the image is ${width}×${height}, over the limit of ${maxPixels} pixels`);
  return { width, height };
}

/** libheif always gives RGBA here; most photos have no alpha, and their renditions should not either. */
function opaque(rgba) {
  for (let at = 3; at < rgba.length; at += 4) if (rgba[at] !== 255) return false;
  return true;
}

function withoutAlpha(rgba) {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let from = 0, to = 0; from < rgba.length; from += 4, to += 3) {
    rgb[to] = rgba[from];
    rgb[to + 1] = rgba[from + 1];
    rgb[to + 2] = rgba[from + 2];
  }
  return rgb;
}

function decode(handle, maxPixels) {
  const { width, height } = size(handle, maxPixels);
  // 8 bits per channel whatever the file holds (10-bit HDR included): the pipeline works in 8-bit sRGB.
  const image = libheif.heif_js_decode_image2(
    handle,
    libheif.heif_colorspace.heif_colorspace_RGB,
    libheif.heif_chroma.heif_chroma_interleaved_RGBA,
  );
  if (!image || isHeifError(image)) throw new Error(`the HEIF image could not be decoded${image?.message ? ` (${image.message})` : ''}`);
  try {
    const plane = image.channels.find((channel) => channel.id === libheif.heif_channel.heif_channel_interleaved);
    if (plane === undefined || plane.width !== width || plane.height !== height)
      throw new Error('the HEIF image decoded to an unexpected shape');
    const rowBytes = width * 4;
    const rgba = new Uint8Array(rowBytes * height);
    if (plane.stride === rowBytes) rgba.set(plane.data.subarray(0, rgba.length));
    else
      for (let row = 0; row < height; row++)
        rgba.set(plane.data.subarray(row * plane.stride, row * plane.stride + rowBytes), row * rowBytes);
    return opaque(rgba) ? { width, height, channels: 3, pixels: withoutAlpha(rgba) } : { width, height, channels: 4, pixels: rgba };
  } finally {
    libheif.heif_image_release(image.image);
  }
}

/**
 * The decoded pixels as an uncompressed little-endian TIFF, with the file's ICC profile when it
 * has one: sharp reads that as it is and converts it to sRGB through the profile. Built here, so
 * the 36 MB of a 12 MP photo are never copied on the thread that answers requests.
 */
function tiff({ width, height, channels, pixels }, icc) {
  const entries = [
    [256, 4, 1, width], // ImageWidth, LONG
    [257, 4, 1, height], // ImageLength
    [258, 3, channels, 'bits'], // BitsPerSample, SHORT × channels
    [259, 3, 1, 1], // Compression: none
    [262, 3, 1, 2], // PhotometricInterpretation: RGB
    [273, 4, 1, 'pixels'], // StripOffsets
    [277, 3, 1, channels], // SamplesPerPixel
    [278, 4, 1, height], // RowsPerStrip: one strip
    [279, 4, 1, pixels.length], // StripByteCounts
    [284, 3, 1, 1], // PlanarConfiguration: chunky
  ];
  if (channels === 4) entries.push([338, 3, 1, 2]); // ExtraSamples: unassociated alpha
  if (icc) entries.push([34675, 7, icc.length, 'icc']); // ICCProfile, UNDEFINED
  const ifdSize = 2 + entries.length * 12 + 4;
  const bitsAt = 8 + ifdSize;
  const iccAt = bitsAt + channels * 2;
  const pixelsAt = iccAt + (icc ? icc.length + (icc.length % 2) : 0);
  const out = new Uint8Array(pixelsAt + pixels.length);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, count, value], index) => {
    const at = 10 + index * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, count, true);
    const resolved = value === 'bits' ? bitsAt : value === 'pixels' ? pixelsAt : value === 'icc' ? iccAt : value;
    if (type === 3 && count === 1) view.setUint16(at + 8, resolved, true);
    else view.setUint32(at + 8, resolved, true);
  });
  for (let channel = 0; channel < channels; channel++) view.setUint16(bitsAt + channel * 2, 8, true);
  if (icc) out.set(icc, iccAt);
  out.set(pixels, pixelsAt);
  return out;
}

port.on('message', (task) => {
  try {
    if (task.op === 'info') {
      port.postMessage({ id: task.id, ok: true, ...withPrimaryImage(task.file, (handle) => size(handle, task.maxPixels)) });
      return;
    }
    const decoded = withPrimaryImage(task.file, (handle) => decode(handle, task.maxPixels));
    const image = tiff(decoded, task.icc);
    port.postMessage({ id: task.id, ok: true, width: decoded.width, height: decoded.height, channels: decoded.channels, tiff: image }, [
      image.buffer,
    ]);
  } catch (error) {
    port.postMessage({ id: task.id, ok: false, message: failure(error) });
  }
});
