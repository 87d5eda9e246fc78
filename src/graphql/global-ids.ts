import { encodeGlobalID } from '@pothos/plugin-relay';

/** Ids kept per type; past it that type's memory starts over. A page repeats a few hundred, a library a few thousand. */
const MAX_REMEMBERED = 50_000;
const encodedByType = new Map<string, Map<bigint | number | string, string>>();

/**
 * The relay plugin's own global id (base64 of `Type:id`), made once per object: every page
 * writes the same few hundred ids again, and encoding each costs a buffer and a copy.
 */
export function rememberedGlobalID(typename: string, id: bigint | number | string): string {
  let encoded = encodedByType.get(typename);
  if (encoded === undefined) {
    encoded = new Map();
    encodedByType.set(typename, encoded);
  }
  let globalId = encoded.get(id);
  if (globalId === undefined) {
    globalId = encodeGlobalID(typename, id);
    if (encoded.size >= MAX_REMEMBERED) encoded.clear();
    encoded.set(id, globalId);
  }
  return globalId;
}
