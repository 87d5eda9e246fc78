// The relay global id format (base64 of `Type:id`) written out here rather than imported from the
// relay plugin: loading the plugin (and Pothos under it) cost a command 140 ms before it read
// argv. test/cli-ids.test.ts holds the two to the same answers.

export type GlobalIdType = 'Photo' | 'Album' | 'ShareLink';

const BASE64 = /^(?:[\d+/A-Za-z]{4})*(?:[\d+/A-Za-z]{2}==|[\d+/A-Za-z]{3}=)?$/;

function globalId(typename: GlobalIdType, publicId: string): string {
  return Buffer.from(`${typename}:${publicId}`).toString('base64');
}

/**
 * What the command line prints for a photo or an album: the global id GraphQL takes
 * (`photo(id:)`, `node(id:)`), never the bare public id inside it, which GraphQL refuses.
 */
export function photoGlobalId(publicId: string): string {
  return globalId('Photo', publicId);
}

export function albumGlobalId(publicId: string): string {
  return globalId('Album', publicId);
}

export function shareLinkGlobalId(publicId: string): string {
  return globalId('ShareLink', publicId);
}

/** The public id inside a pasted global id of this type, or the text itself (a bare public id or a title). */
export function unwrapGlobalId(text: string, typename: GlobalIdType): string {
  if (!BASE64.test(text)) return text;
  const [decodedType, id] = Buffer.from(text, 'base64').toString().split(':');
  return decodedType === typename && id ? id : text;
}
