import { serverOf } from '../storage/data-dir-lock.ts';
import type { Store } from '../storage/open-store.ts';

/** Said to a command that takes --init when its data dir holds no library. */
export const WITH_INIT = ', or pass --init to make a new library there';

/** Which library a command writes to, and whether a server is running on it: said before anything is written. */
export function libraryNotice(store: Store, doing: string): string {
  const server = serverOf(store.layout.dataDir);
  const made = store.created ? 'a new, empty library made (--init) ' : 'the library ';
  const running =
    server === undefined
      ? 'no server is running on it: photos are processed when one starts, or by `lightbox worker`'
      : `its server is running (pid ${server}) and processes them`;
  return `${doing} ${made}in ${store.layout.dataDir}; ${running}.\n`;
}
