import DataLoader from 'dataloader';
import type { Viewer } from '../auth/viewer.ts';
import { visiblePublicIds } from '../catalog/access.ts';
import type { Db } from '../db/client.ts';

export interface Loaders {
  /** Whether the viewer may see the node `Typename:publicId`; batched across every node/nodes field of a request. */
  visibleNodes: DataLoader<string, boolean>;
}

/** One set per request, so nothing is cached across callers or across database changes. */
export function createLoaders(db: Db, viewer: Viewer): Loaders {
  return {
    visibleNodes: new DataLoader(async (keys: readonly string[]) => {
      const byType = new Map<string, string[]>();
      for (const key of keys) {
        const [typename = '', publicId = ''] = key.split(':');
        byType.set(typename, [...(byType.get(typename) ?? []), publicId]);
      }
      const visible = new Set<string>();
      for (const [typename, publicIds] of byType) {
        for (const publicId of visiblePublicIds(db, viewer, typename, publicIds)) visible.add(`${typename}:${publicId}`);
      }
      return keys.map((key) => visible.has(key));
    }),
  };
}
