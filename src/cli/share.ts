import { hashSharePassword } from '../auth/share-tokens.ts';
import {
  createShareLink,
  listShareLinks,
  revokeShareLink,
  shareLinkPath,
  shareLinkState,
  validSharePassword,
} from '../catalog/share-links.ts';
import type { Config } from '../config.ts';
import { LightboxError, ValidationError } from '../errors.ts';
import { openStore } from '../storage/open-store.ts';
import { albumNamedOnCommandLine } from './album.ts';
import { NothingNamedError } from './failure.ts';
import { shareLinkGlobalId, unwrapGlobalId } from './ids.ts';
import { readPassword } from './password-prompt.ts';

export interface ShareOptions {
  expires?: string;
  password: boolean;
  allowOriginals: boolean;
  hideMetadata: boolean;
  showLocation: boolean;
  label?: string;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `7d`, `12h`, `30m`, `2w`, or an ISO 8601 date or date-time. */
export function parseExpiry(text: string, nowMs: number): Date {
  const duration = /^(\d{1,5})([mhdw])$/.exec(text);
  if (duration) return new Date(nowMs + Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  const date = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new LightboxError('USAGE', `--expires takes a duration such as 7d, 12h, 30m or 2w, or a date such as 2026-12-31 (got "${text}")`);
  }
  if (date.getTime() <= nowMs) {
    throw new LightboxError('USAGE', `--expires ${text} has already passed: give a later date, or a duration such as 7d`);
  }
  return date;
}

/** Where people reach the server this config describes: LIGHTBOX_PUBLIC_URL, else its address on this machine. */
function origin(config: Config): string {
  if (config.http.publicUrl !== undefined) return config.http.publicUrl;
  const host =
    config.http.host === undefined || config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
}

/** `lightbox share <album> …`: a new link, printed once. */
export async function createShareCommand(config: Config, titleOrId: string, options: ShareOptions): Promise<number> {
  const expiresAt = options.expires === undefined ? undefined : parseExpiry(options.expires, Date.now());
  // Asked before the database is opened: a person may take their time typing.
  const password = options.password ? await readPassword('Password for the link: ') : undefined;
  const passwordHash = password === undefined ? undefined : await hashSharePassword(usageOnInvalid(() => validSharePassword(password)));
  const { database } = await openStore(config, { create: false });
  try {
    const album = albumNamedOnCommandLine(database.db, titleOrId);
    const { link, token } = usageOnInvalid(() =>
      createShareLink(database.db, {
        albumPublicId: album.publicId,
        expiresAt,
        passwordHash,
        allowOriginals: options.allowOriginals,
        showMetadata: !options.hideMetadata,
        showLocation: options.showLocation,
        label: options.label,
      }),
    );
    const facts = [
      link.expiresAt === null ? 'never expires' : `expires ${new Date(link.expiresAt).toISOString()}`,
      link.passwordHash === null ? 'no password' : 'password protected',
      link.allowOriginals ? 'full-size originals (without metadata)' : 'no originals',
      link.showMetadata ? 'camera details shown' : 'camera details hidden',
      link.showLocation ? 'locations shown' : 'locations hidden',
    ];
    process.stdout.write(
      `Shared album "${album.title}":\n  ${origin(config)}${shareLinkPath(token)}\n` +
        `The link is shown only now: keep it. ${facts.join(', ')}.\n` +
        `GraphQL clients send "X-Lightbox-Share: ${token}". Revoke with \`lightbox share --revoke ${shareLinkGlobalId(link.publicId)}\`.\n`,
    );
    return 0;
  } finally {
    database.close();
  }
}

/** What the catalog refuses as an invalid argument is, on the command line, a usage error. */
function usageOnInvalid<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ValidationError) throw new LightboxError('USAGE', error.message);
    throw error;
  }
}

/** `lightbox share --list`: every link, ended ones too, never a token. */
export async function listSharesCommand(config: Config): Promise<number> {
  const { database } = await openStore(config, { create: false });
  try {
    const links = listShareLinks(database.db);
    if (links.length === 0) {
      process.stdout.write('No share links yet: `lightbox share <album>` makes one.\n');
      return 0;
    }
    const now = Date.now();
    for (const link of links) {
      const label = link.label === '' ? '' : ` "${link.label}"`;
      const expiry = link.expiresAt === null ? '' : `, expires ${new Date(link.expiresAt).toISOString()}`;
      const views = `${link.viewCount} view${link.viewCount === 1 ? '' : 's'}`;
      process.stdout.write(
        `${shareLinkState(link, now).padEnd(8)} ${link.albumTitle}${label}  /s/${link.tokenPrefix}…  ${views}${expiry}  id ${shareLinkGlobalId(link.publicId)}\n`,
      );
    }
    return 0;
  } finally {
    database.close();
  }
}

/** `lightbox share --revoke <id>`: ends a link at once, for the running server too. */
export async function revokeShareCommand(config: Config, id: string): Promise<number> {
  const { database } = await openStore(config, { create: false });
  try {
    const publicId = unwrapGlobalId(id, 'ShareLink');
    let link: ReturnType<typeof revokeShareLink>;
    try {
      link = revokeShareLink(database.db, publicId);
    } catch (error) {
      if (error instanceof LightboxError && error.code === 'NOT_FOUND') {
        throw new NothingNamedError(`no share link has the id "${id}"`, '`lightbox share --list`');
      }
      throw error;
    }
    process.stdout.write(`Revoked share link /s/${link.tokenPrefix}…: it opens nothing from now on, image URLs included.\n`);
    return 0;
  } finally {
    database.close();
  }
}
