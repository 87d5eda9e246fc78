import type Database from 'better-sqlite3';
import { type Clock, systemClock } from '../clock.ts';
import { SHARE_LINK_IS_LIVE_SQL } from './access.ts';

export interface SharedPhoto {
  /** The link's key, which the URL's signature must cover. */
  linkKey: string;
  allowOriginals: boolean;
}

interface SharedPhotoRow {
  key: string;
  allow_originals: 0 | 1;
}

/**
 * The image route's question for a URL signed under a share link: is that link live, and is
 * the photo in its album? Asked on every such request, never remembered, so a revoked or
 * expired link, or a photo taken out of the album, ends its URLs at the next request. One
 * statement over three unique or primary-key indexes.
 */
export class SharedPhotoLookup {
  private readonly statement: Database.Statement<[string, string, number], SharedPhotoRow>;

  constructor(
    sqlite: Database.Database,
    /** What the link's expiry is compared with. */
    private readonly clock: Clock = systemClock,
  ) {
    this.statement = sqlite.prepare<[string, string, number], SharedPhotoRow>(
      `SELECT share_links.key, share_links.allow_originals
         FROM share_links
         JOIN album_photos ON album_photos.album_id = share_links.album_id
         JOIN photos ON photos.id = album_photos.photo_id
        WHERE share_links.public_id = ? AND photos.public_id = ? AND ${SHARE_LINK_IS_LIVE_SQL}`,
    );
  }

  find(linkPublicId: string, photoPublicId: string, nowMs: number = this.clock()): SharedPhoto | undefined {
    const row = this.statement.get(linkPublicId, photoPublicId, nowMs);
    return row === undefined ? undefined : { linkKey: row.key, allowOriginals: row.allow_originals === 1 };
  }
}
