import { hashSharePassword } from '../auth/share-tokens.ts';
import type { AlbumRecord } from '../catalog/album-records.ts';
import { findAlbumRowId } from '../catalog/albums.ts';
import {
  createShareLink,
  revokeShareLink,
  SHARE_LINK_ORDER,
  type ShareLinkRow,
  shareLinkCount,
  shareLinkPage,
  shareLinkPath,
  shareLinkState,
  shareLinksByPublicId,
  updateShareLink,
  validSharePassword,
} from '../catalog/share-links.ts';
import { ERRORS, RateLimitedError, ShareLinkNotFoundError, WrongPasswordError } from '../errors.ts';
import { meterSync } from '../sql-meter.ts';
import { builder } from './builder.ts';
import { mutationErrors, plainUserErrorType, UserErrorRef } from './errors.ts';
import { keysetConnection, totalCountField } from './keyset-connection.ts';
import { AlbumRef } from './refs.ts';
import { requestError } from './request-errors.ts';

const ShareLinkStateEnum = builder.enumType('ShareLinkState', {
  values: {
    ACTIVE: { description: 'Opens its album.' },
    EXPIRED: { description: 'Past expiresAt: opens nothing (a new expiresAt brings it back).' },
    REVOKED: { description: 'Ended for good.' },
  } as const,
});

/** A row just created carries its token, for the one answer that may show it. */
type WithToken = { token?: string };

export const ShareLinkRef = builder.objectRef<ShareLinkRow & WithToken>('ShareLink');

builder.node(ShareLinkRef, {
  description: 'A link that gives one album to whoever holds it. Only the admin sees links.',
  id: { resolve: (link) => link.publicId },
  // Node lookups reach here only for the admin (the visibility check comes first).
  loadMany: (ids, ctx) => {
    const found = new Map(meterSync(ctx.sqlUsage, () => shareLinksByPublicId(ctx.db, ids)).map((link) => [link.publicId, link]));
    return ids.map((id) => found.get(id) ?? null);
  },
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'tokenPrefix' in value,
  fields: (t) => ({
    album: t.field({ type: AlbumRef, resolve: async (link, _args, ctx) => (await ctx.loaders.albums.load(link.albumId)) as AlbumRecord }),
    label: t.exposeString('label', { description: 'Who or what the link is for, as the admin wrote it.' }),
    url: t.string({
      nullable: true,
      description:
        'Root-relative `/s/<token>`: only in the answer to createShareLink, null ever after (the token is stored only as a hash). Send the token as X-Lightbox-Share on GraphQL requests.',
      resolve: (link) => {
        const token = (link as WithToken).token;
        return token === undefined ? null : shareLinkPath(token);
      },
    }),
    tokenPrefix: t.exposeString('tokenPrefix', { description: "The token's first characters, to tell links apart." }),
    hasPassword: t.boolean({ resolve: (link) => link.passwordHash !== null }),
    allowOriginals: t.exposeBoolean('allowOriginals', {
      description: "ORIGINAL gives the full-size image without metadata; when false it gives LARGE. Never the uploaded file's own bytes.",
    }),
    showMetadata: t.exposeBoolean('showMetadata', { description: 'Camera, lens, exposure and capture time; when false they are null.' }),
    showLocation: t.exposeBoolean('showLocation', { description: "GPS position of the album's photos; false unless said otherwise." }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (link) => link.expiresAt }),
    state: t.field({
      type: ShareLinkStateEnum,
      resolve: (link) => shareLinkState(link, Date.now()),
    }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (link) => link.revokedAt }),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a request last used the link (counted in memory, written at most a minute late).',
      resolve: (link) => link.lastUsedAt,
    }),
    viewCount: t.exposeInt('viewCount', { description: 'GraphQL requests answered under the link.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (link) => link.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (link) => link.updatedAt }),
  }),
});

builder.queryFields((t) => ({
  shareLinks: t.connection(
    {
      type: ShareLinkRef,
      authScopes: { admin: true },
      description: 'Share links, newest first, ended ones included (admin only).',
      args: { albumId: t.arg.globalID({ for: AlbumRef, description: "Only this album's links." }) },
      resolve: async (_parent, args, ctx) => {
        // What is counted in memory, by every server process, is written first, so the list shows it.
        await ctx.shares.flushUsageElsewhere();
        meterSync(ctx.sqlUsage, () => ctx.shares.flushUsage());
        const albumPublicId = args.albumId?.id;
        const connection = await keysetConnection(args, SHARE_LINK_ORDER, (page) =>
          meterSync(ctx.sqlUsage, () => shareLinkPage(ctx.db, albumPublicId, page)),
        );
        return Object.assign(connection, { countTotal: () => meterSync(ctx.sqlUsage, () => shareLinkCount(ctx.db, albumPublicId)) });
      },
    },
    totalCountField,
  ),
  sharedAlbum: t.field({
    type: AlbumRef,
    nullable: true,
    description:
      'The album the share link in X-Lightbox-Share opens; null without one. A link with a password answers SHARE_PASSWORD_REQUIRED until unlockShareLink has given a credential.',
    resolve: (_parent, _args, ctx) => {
      if (ctx.share.kind === 'locked') throw requestError('SHARE_PASSWORD_REQUIRED', ERRORS.SHARE_PASSWORD_REQUIRED.description);
      if (ctx.viewer.kind !== 'share') return null;
      return ctx.loaders.albums.load(ctx.viewer.grant.albumId);
    },
  }),
}));

const CreateShareLinkInput = builder.inputType('CreateShareLinkInput', {
  fields: (t) => ({
    albumId: t.globalID({ required: true, for: AlbumRef }),
    expiresAt: t.field({ type: 'DateTime', description: 'When the link stops working; no expiry when left out.' }),
    password: t.string({ description: 'Holders must give it once (unlockShareLink); stored as an scrypt hash.' }),
    allowOriginals: t.boolean({ description: 'False unless said otherwise: ORIGINAL then gives LARGE.' }),
    showMetadata: t.boolean({ description: 'True unless said otherwise.' }),
    showLocation: t.boolean({ description: 'False unless said otherwise.' }),
    label: t.string(),
  }),
});

const UpdateShareLinkInput = builder.inputType('UpdateShareLinkInput', {
  description:
    'Fields left out stay as they are; expiresAt: null removes the expiry, password: null removes the password. A new or removed password ends every credential and image URL handed out under the old one.',
  fields: (t) => ({
    id: t.globalID({ required: true, for: ShareLinkRef }),
    expiresAt: t.field({ type: 'DateTime' }),
    password: t.string(),
    allowOriginals: t.boolean(),
    showMetadata: t.boolean(),
    showLocation: t.boolean(),
    label: t.string(),
  }),
});

const ShareLinkPayload = builder.objectRef<{ shareLink: ShareLinkRow & WithToken }>('ShareLinkPayload').implement({
  fields: (t) => ({ shareLink: t.field({ type: ShareLinkRef, resolve: (payload) => payload.shareLink }) }),
});

const ShareUnlockRef = builder.objectRef<{ credential: string; expiresAt: number }>('ShareUnlock').implement({
  description: 'Proof that the password was given: send `credential` as X-Lightbox-Share instead of the token until expiresAt.',
  fields: (t) => ({
    credential: t.exposeString('credential'),
    expiresAt: t.field({ type: 'DateTime', resolve: (unlock) => unlock.expiresAt * 1000 }),
  }),
});

plainUserErrorType(ShareLinkNotFoundError, 'ShareLinkNotFoundError', 'SHARE_LINK_NOT_FOUND');
plainUserErrorType(WrongPasswordError, 'WrongPasswordError', 'WRONG_PASSWORD');

builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  description: ERRORS.RATE_LIMITED.description,
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof RateLimitedError,
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', { description: 'Nothing is tried for this link or address before then.' }),
  }),
});

async function passwordHashOf(password: string | null | undefined): Promise<string | null | undefined> {
  if (password === undefined) return undefined;
  if (password === null) return null;
  return hashSharePassword(validSharePassword(password));
}

builder.mutationFields((t) => ({
  createShareLink: t.field({
    type: ShareLinkPayload,
    description: 'A new link for one album; its url (with the token) is in this answer only.',
    errors: mutationErrors('CreateShareLink'),
    args: { input: t.arg({ type: CreateShareLinkInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      findAlbumRowId(ctx.db, input.albumId.id);
      const passwordHash = await passwordHashOf(input.password ?? undefined);
      const { link, token } = createShareLink(ctx.db, { ...input, albumPublicId: input.albumId.id, passwordHash });
      return { shareLink: { ...link, token } };
    },
  }),
  updateShareLink: t.field({
    type: ShareLinkPayload,
    errors: mutationErrors('UpdateShareLink'),
    args: { input: t.arg({ type: UpdateShareLinkInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const passwordHash = await passwordHashOf('password' in input ? input.password : undefined);
      const link = updateShareLink(ctx.db, input.id.id, {
        ...input,
        expiresAt: 'expiresAt' in input ? input.expiresAt : undefined,
        passwordHash,
      });
      return { shareLink: link };
    },
  }),
  revokeShareLink: t.field({
    type: ShareLinkPayload,
    description:
      'Ends the link at once: its holders see what anyone sees, and image URLs handed out under it answer 404 from the next request.',
    errors: mutationErrors('RevokeShareLink'),
    args: { id: t.arg.globalID({ required: true, for: ShareLinkRef }) },
    resolve: (_root, { id }, ctx) => ({ shareLink: revokeShareLink(ctx.db, id.id) }),
  }),
  unlockShareLink: t.field({
    type: ShareUnlockRef,
    // The one mutation for anyone: a link's holder is not the admin.
    skipTypeScopes: true,
    description:
      "Checks a share link's password once and answers a credential, valid for an hour, to send as X-Lightbox-Share instead of the token. Wrong passwords are limited per link and per client address (RateLimitedError says when to retry).",
    errors: { types: [ShareLinkNotFoundError, WrongPasswordError, RateLimitedError], union: { name: 'UnlockShareLinkResult' } },
    args: { token: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const unlocked = await ctx.shares.unlock(args.token, args.password, ctx.clientAddress);
      return { credential: unlocked.credential, expiresAt: unlocked.expiresAt };
    },
  }),
}));
