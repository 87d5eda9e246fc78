import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';

/**
 * What the command line prints for a photo or an album: the global id GraphQL takes
 * (`photo(id:)`, `node(id:)`), never the bare public id inside it, which GraphQL refuses.
 */
export function photoGlobalId(publicId: string): string {
  return encodeGlobalID('Photo', publicId);
}

export function albumGlobalId(publicId: string): string {
  return encodeGlobalID('Album', publicId);
}

/** The public id inside a pasted global id of this type, or the text itself (a bare public id or a title). */
export function unwrapGlobalId(text: string, typename: 'Photo' | 'Album' | 'ShareLink'): string {
  try {
    const decoded = decodeGlobalID(text);
    return decoded.typename === typename ? decoded.id : text;
  } catch {
    return text;
  }
}
