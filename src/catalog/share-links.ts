import { and, asc, count, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import { newShareKey, newShareToken } from '../auth/share-tokens.ts';
import type { ShareGrant } from '../auth/viewer.ts';
import type { Db, Queryable } from '../db/client.ts';
import { NOW_MS } from '../db/now.ts';
import { albums, shareLinks } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { newPublicId } from '../ids.ts';
import { shareLinkIsLive } from './access.ts';
import { type KeysetOrder, type KeysetPage, keysetBounds, keysetOrderBy } from './keyset.ts';
import { MAX_TITLE_LENGTH } from './validation.ts';

export type ShareLinkRow = typeof shareLinks.$inferSelect;
export type ShareLinkState = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

/** The longest a link may be made to last: past this, leave expiresAt out (no expiry). */
const MAX_EXPIRY_MS = 10 * 365 * 24 * 60 * 60 * 1000;
export const MAX_PASSWORD_LENGTH = 1024;

/** Where a link's holder opens it: root-relative, with the token in it, so only ever shown once. */
export function shareLinkPath(token: string): string {
  return `/s/${token}`;
}

export function shareLinkState(link: Pick<ShareLinkRow, 'revokedAt' | 'expiresAt'>, nowMs: number): ShareLinkState {
  if (link.revokedAt !== null) return 'REVOKED';
  if (link.expiresAt !== null && link.expiresAt <= nowMs) return 'EXPIRED';
  return 'ACTIVE';
}

export function grantOf(link: ShareLinkRow): ShareGrant {
  return {
    linkPublicId: link.publicId,
    linkKey: link.key,
    albumId: link.albumId,
    allowOriginals: link.allowOriginals,
    showMetadata: link.showMetadata,
    showLocation: link.showLocation,
  };
}

function validExpiry(expiresAt: Date | null | undefined, nowMs: number): number | null {
  if (expiresAt === null || expiresAt === undefined) return null;
  const at = expiresAt.getTime();
  if (!Number.isFinite(at) || at <= nowMs) throw new ValidationError('expiresAt', 'expiresAt must lie in the future');
  if (at - nowMs > MAX_EXPIRY_MS)
    throw new ValidationError('expiresAt', 'expiresAt may be at most 10 years away; leave it out for a link that does not expire');
  return at;
}

function validLabel(label: string | null | undefined): string {
  const trimmed = (label ?? '').trim();
  if (trimmed.length > MAX_TITLE_LENGTH) throw new ValidationError('label', `label must be at most ${MAX_TITLE_LENGTH} characters`);
  return trimmed;
}

/** Checked before the password is hashed, so a refused one costs nothing. */
export function validSharePassword(password: string): string {
  if (password.length === 0) throw new ValidationError('password', 'password must not be empty (leave it out for a link without one)');
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new ValidationError('password', `password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}

export interface ShareLinkOptions {
  expiresAt?: Date | null;
  allowOriginals?: boolean | null;
  showMetadata?: boolean | null;
  showLocation?: boolean | null;
  label?: string | null;
}

export interface NewShareLinkInput extends ShareLinkOptions {
  albumPublicId: string;
  /** Already hashed (hashSharePassword): hashing is slow and asynchronous, the write is not. */
  passwordHash?: string | null;
}

/** A new link; its token is in the answer and nowhere else, ever. */
export function createShareLink(
  db: Queryable,
  input: NewShareLinkInput,
  nowMs: number = Date.now(),
): { link: ShareLinkRow; token: string } {
  const album = db.select({ id: albums.id }).from(albums).where(eq(albums.publicId, input.albumPublicId)).get();
  if (album === undefined) throw new NotFoundError('Album', input.albumPublicId);
  const token = newShareToken();
  const link = db
    .insert(shareLinks)
    .values({
      publicId: newPublicId(),
      albumId: album.id,
      tokenHash: token.hash,
      tokenPrefix: token.prefix,
      label: validLabel(input.label),
      passwordHash: input.passwordHash ?? null,
      key: newShareKey(),
      allowOriginals: input.allowOriginals ?? false,
      showMetadata: input.showMetadata ?? true,
      showLocation: input.showLocation ?? false,
      expiresAt: validExpiry(input.expiresAt, nowMs),
    })
    .returning()
    .get();
  return { link, token: token.token };
}

export interface ShareLinkPatch extends ShareLinkOptions {
  /** A new hash sets a password, null removes it, undefined keeps it. */
  passwordHash?: string | null;
}

function linkByPublicId(db: Queryable, publicId: string): ShareLinkRow {
  const link = db.select().from(shareLinks).where(eq(shareLinks.publicId, publicId)).get();
  if (link === undefined) throw new NotFoundError('ShareLink', publicId);
  return link;
}

/**
 * Changes a link's options; what is undefined stays (expiresAt: null removes the expiry). A new
 * or removed password gives the link a new key: credentials and image URLs handed out under the
 * old one stop working at once. A revoked link stays revoked.
 */
export function updateShareLink(db: Db, publicId: string, patch: ShareLinkPatch, nowMs: number = Date.now()): ShareLinkRow {
  return db.transaction((tx) => {
    const link = linkByPublicId(tx, publicId);
    const changes: Partial<ShareLinkRow> = {};
    if (patch.expiresAt !== undefined) changes.expiresAt = validExpiry(patch.expiresAt, nowMs);
    if (patch.label !== undefined && patch.label !== null) changes.label = validLabel(patch.label);
    if (patch.allowOriginals !== undefined && patch.allowOriginals !== null) changes.allowOriginals = patch.allowOriginals;
    if (patch.showMetadata !== undefined && patch.showMetadata !== null) changes.showMetadata = patch.showMetadata;
    if (patch.showLocation !== undefined && patch.showLocation !== null) changes.showLocation = patch.showLocation;
    if (patch.passwordHash !== undefined) {
      changes.passwordHash = patch.passwordHash;
      changes.key = newShareKey();
    }
    return tx
      .update(shareLinks)
      .set({ ...changes, updatedAt: NOW_MS })
      .where(eq(shareLinks.id, link.id))
      .returning()
      .get() as ShareLinkRow;
  });
}

/** Ends the link for good: every request under it, image URLs included, is refused from the next one on. */
export function revokeShareLink(db: Queryable, publicId: string): ShareLinkRow {
  const link = linkByPublicId(db, publicId);
  if (link.revokedAt !== null) return link;
  return db
    .update(shareLinks)
    .set({ revokedAt: NOW_MS, updatedAt: NOW_MS })
    .where(and(eq(shareLinks.id, link.id), isNull(shareLinks.revokedAt)))
    .returning()
    .get() as ShareLinkRow;
}

/**
 * Lookups of live links, prepared once: each request carrying a share header asks one of them,
 * and an unknown token must cost no more than any other 404 (drizzle builds a query anew each
 * time it is not prepared, several times the cost of running it).
 */
export class LiveShareLinks {
  private readonly byTokenHash;
  private readonly byPublicId;

  constructor(db: Db) {
    const now = sql.placeholder('now');
    this.byTokenHash = db
      .select()
      .from(shareLinks)
      .where(and(eq(shareLinks.tokenHash, sql.placeholder('key')), shareLinkIsLive(now)))
      .prepare();
    this.byPublicId = db
      .select()
      .from(shareLinks)
      .where(and(eq(shareLinks.publicId, sql.placeholder('key')), shareLinkIsLive(now)))
      .prepare();
  }

  /** The live link a token opens: one lookup by the token's hash, on a unique index. */
  byToken(tokenHash: string, nowMs: number): ShareLinkRow | undefined {
    return this.byTokenHash.get({ key: tokenHash, now: Math.floor(nowMs) });
  }

  /** The live link a credential names. */
  byId(publicId: string, nowMs: number): ShareLinkRow | undefined {
    return this.byPublicId.get({ key: publicId, now: Math.floor(nowMs) });
  }
}

/** Every link with its album's title, oldest first: what `lightbox share --list` prints. */
export function listShareLinks(db: Queryable): (ShareLinkRow & { albumTitle: string })[] {
  return db
    .select({ link: shareLinks, albumTitle: albums.title })
    .from(shareLinks)
    .innerJoin(albums, eq(albums.id, shareLinks.albumId))
    .orderBy(asc(shareLinks.id))
    .all()
    .map((row) => ({ ...row.link, albumTitle: row.albumTitle }));
}

/** Share links newest first, for the admin's list. */
export const SHARE_LINK_ORDER: KeysetOrder<ShareLinkRow> = {
  name: 'share-links',
  keys: [sql`${shareLinks.createdAt}`, sql`${shareLinks.id}`],
  direction: 'desc',
  values: (link) => [link.createdAt, link.id],
};

/** All links, or one album's (none when the album does not exist). */
function linksOf(albumPublicId: string | undefined): SQL | undefined {
  if (albumPublicId === undefined) return undefined;
  return sql`${shareLinks.albumId} = (SELECT ${albums.id} FROM ${albums} WHERE ${albums.publicId} = ${albumPublicId})`;
}

export function shareLinkPage(db: Queryable, albumPublicId: string | undefined, page: KeysetPage): ShareLinkRow[] {
  return db
    .select()
    .from(shareLinks)
    .where(and(linksOf(albumPublicId), keysetBounds(SHARE_LINK_ORDER, page)))
    .orderBy(keysetOrderBy(SHARE_LINK_ORDER, page))
    .limit(page.limit)
    .all();
}

export function shareLinkCount(db: Queryable, albumPublicId: string | undefined): number {
  return db.select({ total: count() }).from(shareLinks).where(linksOf(albumPublicId)).get()?.total ?? 0;
}

export function shareLinksByPublicId(db: Queryable, publicIds: readonly string[]): ShareLinkRow[] {
  if (publicIds.length === 0) return [];
  return db
    .select()
    .from(shareLinks)
    .where(inArray(shareLinks.publicId, [...publicIds]))
    .all();
}
