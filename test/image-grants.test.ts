import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import Database from 'better-sqlite3';
import exifr from 'exifr';
import sharp from 'sharp';
import { request } from 'undici';
import type { ShareGrant, Viewer } from '../src/auth/viewer.ts';
import { PHOTO_IS_PUBLIC_SQL } from '../src/catalog/access.ts';
import { newPublicId } from '../src/ids.ts';
import { type GrantedPhoto, grantedImage, grantFor, type ImageViewer, imageViewer, urlsAreSharedBy } from '../src/images/grant.ts';
import { imageSignature } from '../src/images/url-signing.ts';
import { IMAGE_FORMATS, IMAGE_VARIANTS, type ImageFormat, type ImageVariant, variantDimensions } from '../src/media/variants.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin } from './helpers/share-links.ts';

/**
 * images/grant.ts as a table: viewer × photo × image path. What grantFor hands a viewer is what
 * GraphQL hands it, and every such URL receives its bytes through verifyGrant (real HTTP, a real
 * server, SQLite and sharp); every URL it does not hand looks exactly like one of a photo that
 * does not exist: the same status, headers and body.
 */
const TABLE = {
  albums: { Open: 'PUBLIC', Shared: 'PRIVATE', Other: 'PRIVATE' },
  photos: {
    inOpen: { file: 'gps/DSCN0010.jpg', albums: ['Open'] },
    inBoth: { file: 'gps/DSCN0040.jpg', albums: ['Open', 'Shared'] },
    inShared: { file: 'gps/DSCN0021.jpg', albums: ['Shared'] },
    // The public copy of HEIF is a JPEG: the uploaded .heic is the admin's alone.
    heicShared: { file: 'heic/landscape-1.heic', albums: ['Shared'] },
    // A PNG: no rendition is PNG, so LARGE in ORIGINAL's place takes the format asked for.
    pngShared: { file: 'made:leaky.png', albums: ['Shared'] },
    inOther: { file: 'cameras/canon-ixus.jpg', albums: ['Other'] },
    inNone: { file: 'cameras/kodak-dc240.jpg', albums: [] },
  },
} as const;

type ViewerName = 'admin' | 'anonymous' | 'shareWithOriginals' | 'shareWithoutOriginals';
type PhotoName = keyof typeof TABLE.photos;
const VIEWERS: readonly ViewerName[] = ['admin', 'anonymous', 'shareWithOriginals', 'shareWithoutOriginals'];
const PHOTOS = Object.keys(TABLE.photos) as PhotoName[];

const inAlbum = (photo: PhotoName, album: string) => (TABLE.photos[photo].albums as readonly string[]).includes(album);
const isPublic = (photo: PhotoName) => inAlbum(photo, 'Open');

/** Whether the viewer is handed anything for the photo (access.ts photoVisibleTo). */
const SEES: Record<ViewerName, (photo: PhotoName) => boolean> = {
  admin: () => true,
  anonymous: isPublic,
  shareWithOriginals: (photo) => isPublic(photo) || inAlbum(photo, 'Shared'),
  shareWithoutOriginals: (photo) => isPublic(photo) || inAlbum(photo, 'Shared'),
};
/** What ORIGINAL hands the viewer (access.ts originalFor). */
const ORIGINAL: Record<ViewerName, 'untouched' | 'public-copy' | 'largest-rendition'> = {
  admin: 'untouched',
  anonymous: 'public-copy',
  shareWithOriginals: 'public-copy',
  shareWithoutOriginals: 'largest-rendition',
};
/** How an answer to a URL handed for a photo may be cached: public photos' renditions by anyone, the rest privately. */
const CACHING: Record<ViewerName, (photo: PhotoName, untouched: boolean) => RegExp> = {
  admin: (photo, untouched) =>
    isPublic(photo) && !untouched ? /^public, max-age=31536000, immutable$/ : /^private, max-age=\d+, immutable$/,
  anonymous: () => /^public, max-age=31536000, immutable$/,
  // A share link's signed URLs are checked against the link on every use.
  shareWithOriginals: (photo) => (isPublic(photo) ? /^public, max-age=31536000, immutable$/ : /^private, no-cache$/),
  shareWithoutOriginals: (photo) => (isPublic(photo) ? /^public, max-age=31536000, immutable$/ : /^private, no-cache$/),
};

const GRAPHQL_VARIANT: Record<ImageVariant, string> = {
  thumb: 'THUMB',
  small: 'SMALL',
  medium: 'MEDIUM',
  large: 'LARGE',
  original: 'ORIGINAL',
};
const alias = (variant: ImageVariant, format: ImageFormat) => `${variant}_${format}`;
const EVERY_URL = `{ photos(first: 50) { nodes { id ${IMAGE_VARIANTS.flatMap((variant) =>
  IMAGE_FORMATS.map(
    (format) =>
      `${alias(variant, format)}: image(variant: ${GRAPHQL_VARIANT[variant]}, format: ${format.toUpperCase()}) { url width height }`,
  ),
).join(' ')} ${IMAGE_FORMATS.map((format) => `srcSet_${format}: srcSet(format: ${format.toUpperCase()})`).join(' ')} } } }`;

type HandedPhoto = { id: string } & Record<string, { url: string; width: number; height: number } | string>;

interface StoredRow extends GrantedPhoto {
  width: number;
  height: number;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Status, headers but Date, and body: all a client can tell two answers apart by. */
async function answer(base: string, url: string, method: 'GET' | 'HEAD' = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${base}${url}`, { method, headers });
  const { date: _date, ...rest } = response.headers;
  return { status: response.statusCode, headers: rest, body: Buffer.from(await response.body.arrayBuffer()) };
}

/** The same URL for a photo that does not exist. */
function ofMissingPhoto(url: string): string {
  return url.replace(/^\/images\/[^/]+\//, `/images/${newPublicId()}/`);
}

const EXTENSION_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
  png: 'image/png',
  heic: 'image/heic',
};

describe('image grants: what grantFor hands a viewer is what verifyGrant serves it, and nothing else is served', () => {
  const secret = randomBytes(32).toString('base64url');
  const keys = { secret, ttlSeconds: 3600 };
  let server: TestServer;
  const files = {} as Record<PhotoName, string>;
  const rows = {} as Record<PhotoName, StoredRow>;
  const viewers = {} as Record<ViewerName, Viewer>;
  const headers = {} as Record<ViewerName, Record<string, string>>;
  /** Every URL GraphQL handed each viewer, by photo: checked against grantFor, then fetched. */
  const handed = {} as Record<ViewerName, Map<PhotoName, HandedPhoto>>;

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn', LIGHTBOX_SECRET: secret, LIGHTBOX_SIGNED_URL_TTL: String(keys.ttlSeconds) });
    const made = await makeTempDir('lightbox-grants-');
    for (const name of PHOTOS) {
      const file = TABLE.photos[name].file;
      files[name] = file.startsWith('made:') ? path.join(made, file.slice('made:'.length)) : path.join(FIXTURE_PHOTOS, file);
    }
    await sharp({ create: { width: 900, height: 600, channels: 3, background: { r: 90, g: 140, b: 200 } } })
      .withExif({
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2976/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4002/100' },
      })
      .png()
      .toFile(files.pngShared);
    const built = await buildLibrary(server.dataDir, {
      albums: TABLE.albums,
      photos: Object.fromEntries(PHOTOS.map((name) => [name, { file: files[name], albums: [...TABLE.photos[name].albums] }])),
    });
    const albumId = encodeGlobalID('Album', built.albums.Shared as string);
    const withOriginals = await createShareLinkAsAdmin(server, { albumId, allowOriginals: true });
    const withoutOriginals = await createShareLinkAsAdmin(server, { albumId, allowOriginals: false });

    const db = new Database(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    try {
      const photo = db.prepare<[string], StoredRow>(
        `SELECT public_id AS publicId, original_extension AS originalExtension, version, url_key AS urlKey, width, height,
                ${PHOTO_IS_PUBLIC_SQL} AS inPublicAlbum
           FROM photos WHERE public_id = ?`,
      );
      for (const name of PHOTOS) rows[name] = photo.get(built.photos[name] as string) as StoredRow;
      const link = db.prepare<
        [string],
        { key: string; album_id: number; allow_originals: number; show_metadata: number; show_location: number }
      >('SELECT key, album_id, allow_originals, show_metadata, show_location FROM share_links WHERE public_id = ?');
      const grantOf = (made: { id: string }): ShareGrant => {
        const linkPublicId = decodeGlobalID(made.id).id;
        const row = link.get(linkPublicId);
        assert.ok(row);
        return {
          linkPublicId,
          linkKey: row.key,
          albumId: row.album_id,
          allowOriginals: row.allow_originals === 1,
          showMetadata: row.show_metadata === 1,
          showLocation: row.show_location === 1,
        };
      };
      viewers.shareWithOriginals = { kind: 'share', grant: grantOf(withOriginals) };
      viewers.shareWithoutOriginals = { kind: 'share', grant: grantOf(withoutOriginals) };
    } finally {
      db.close();
    }
    viewers.admin = { kind: 'admin' };
    viewers.anonymous = { kind: 'anonymous' };
    headers.admin = server.admin;
    headers.anonymous = {};
    headers.shareWithOriginals = { 'x-lightbox-share': withOriginals.token };
    headers.shareWithoutOriginals = { 'x-lightbox-share': withoutOriginals.token };
  });

  after(() => server.close());

  const nameOf = (publicId: string) => PHOTOS.find((name) => rows[name].publicId === publicId) as PhotoName;

  /** What grantFor hands `viewer` for the photo, as URL and rendition, for each variant and format asked. */
  function granted(viewer: ImageViewer, photo: PhotoName, variant: ImageVariant, format: ImageFormat) {
    return grantedImage(grantFor(viewer, rows[photo]), rows[photo], variant, format);
  }

  for (const viewerName of VIEWERS) {
    it(`${viewerName}: GraphQL hands exactly the URLs grantFor makes, for exactly the photos the viewer sees`, async () => {
      const before = imageViewer(viewers[viewerName], keys, Date.now());
      const response = await request(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers[viewerName] },
        body: JSON.stringify({ query: EVERY_URL }),
      });
      const body = (await response.body.json()) as { data?: { photos: { nodes: HandedPhoto[] } }; errors?: unknown };
      assert.equal(response.statusCode, 200, JSON.stringify(body.errors));
      // An expiry step may turn during the request: the URLs are then those of the later one.
      const afterwards = imageViewer(viewers[viewerName], keys, Date.now());
      const nodes = body.data?.photos.nodes ?? [];
      const seen = new Map(nodes.map((node) => [nameOf(decodeGlobalID(node.id).id), node]));
      assert.deepEqual([...seen.keys()].sort(), PHOTOS.filter((photo) => SEES[viewerName](photo)).sort(), 'the photos handed');
      for (const [photo, node] of seen) {
        const grant = grantFor(before, rows[photo]);
        assert.equal(grant.views === undefined, isPublic(photo), `${photo}: plain URLs exactly for a photo anyone may load`);
        assert.equal(grant.original, ORIGINAL[viewerName], `${photo}: what ORIGINAL hands`);
        for (const variant of IMAGE_VARIANTS) {
          for (const format of IMAGE_FORMATS) {
            const image = node[alias(variant, format)] as { url: string; width: number; height: number };
            const expected = [granted(before, photo, variant, format), granted(afterwards, photo, variant, format)];
            assert.ok(
              expected.some((made) => made.url === image.url),
              `${viewerName} × ${photo} × ${variant}.${format}: ${image.url} is not grantFor's ${expected[0]?.url}`,
            );
            const served = expected[0]?.variant as ImageVariant;
            assert.deepEqual(
              { width: image.width, height: image.height },
              variantDimensions(served, rows[photo].width, rows[photo].height),
              'the size of the rendition the URL names',
            );
            const query = new URL(image.url, server.url).searchParams;
            assert.equal(query.has('sig'), !isPublic(photo) || (variant === 'original' && viewerName === 'admin'), `${image.url}: signed`);
            assert.equal(query.get('g'), variant === 'original' && viewerName === 'admin' ? 'original' : null, `${image.url}: grant`);
            assert.equal(query.has('s'), query.has('sig') && viewerName.startsWith('share'), `${image.url}: under the link`);
          }
        }
        for (const format of IMAGE_FORMATS) {
          const entries = String(node[`srcSet_${format}`]).split(', ');
          for (const entry of entries) {
            const url = entry.split(' ')[0] as string;
            assert.ok(
              [before, afterwards].some((viewer) =>
                (['small', 'medium', 'large'] as const).some((variant) => granted(viewer, photo, variant, format).url === url),
              ),
              `srcset entry ${url}`,
            );
          }
        }
      }
      // Only answers whose URLs are everyone's may be shared between callers (the stored anonymous answers).
      const signedAny = nodes.some((node) => Object.values(node).some((value) => typeof value === 'object' && value.url.includes('sig=')));
      assert.equal(urlsAreSharedBy(viewers[viewerName]), !signedAny && viewerName === 'anonymous');
      handed[viewerName] = seen;
    });

    it(`${viewerName}: every URL handed receives its bytes: the right type and size, the uploaded bytes only for the admin, cached as the table says`, async () => {
      const seen = handed[viewerName];
      assert.ok(seen, 'the URLs were handed');
      const urls = new Map<string, { photo: PhotoName; variant: ImageVariant; width: number; height: number }>();
      for (const [photo, node] of seen) {
        for (const variant of IMAGE_VARIANTS) {
          for (const format of IMAGE_FORMATS) {
            const image = node[alias(variant, format)] as { url: string; width: number; height: number };
            urls.set(image.url, { photo, variant, width: image.width, height: image.height });
          }
        }
      }
      for (const [url, { photo, variant, width, height }] of urls) {
        const got = await answer(server.url, url);
        assert.equal(got.status, 200, `${viewerName}: ${url}`);
        const extension = /\.([a-z0-9]+)\?/.exec(url)?.[1] ?? '';
        assert.equal(got.headers['content-type'], EXTENSION_TYPES[extension], url);
        const untouched = url.includes('&g=original');
        assert.match(String(got.headers['cache-control']), CACHING[viewerName](photo, untouched), url);
        const uploaded = await readFile(files[photo]);
        assert.equal(got.body.equals(uploaded), untouched, `${url}: the uploaded bytes exactly when the URL grants them`);
        if (!untouched) {
          const metadata = await sharp(got.body).metadata();
          // As displayed: a public copy keeps the original's orientation tag.
          const upright = (metadata.orientation ?? 1) >= 5 ? [metadata.height, metadata.width] : [metadata.width, metadata.height];
          assert.deepEqual(upright, [width, height], `${url}: the size GraphQL said`);
          assert.equal(await exifr.gps(got.body).catch(() => undefined), undefined, `${url}: no GPS`);
        } else {
          assert.equal(variant, 'original');
        }
        // And revalidates to 304 from its validators, HEAD alike.
        const head = await answer(server.url, url, 'HEAD');
        assert.equal(head.headers.etag, got.headers.etag);
        const again = await answer(server.url, url, 'GET', { 'if-none-match': String(got.headers.etag) });
        assert.equal(again.status, 304, url);
      }
    });
  }

  /**
   * URLs no viewer was handed: for each, why; each must be answered as the same URL of a photo
   * that does not exist.
   */
  function notHanded(): { why: string; url: string }[] {
    const cases: { why: string; url: string }[] = [];
    const now = Math.floor(Date.now() / 1000);
    const v = (photo: PhotoName) => `${rows[photo].version}.${rows[photo].urlKey}`;
    const pathOf = (photo: PhotoName, name: string) => `/images/${rows[photo].publicId}/${name}`;
    const sign = (pathname: string, photo: PhotoName, expiresAt: number, grant: 'view' | 'original', share?: ShareGrant, key = secret) =>
      imageSignature(key, {
        pathname,
        expiresAt,
        urlKey: rows[photo].urlKey,
        grant,
        share: share && { linkPublicId: share.linkPublicId, linkKey: share.linkKey },
      });
    const signedUrl = (photo: PhotoName, name: string, expiresAt: number, grant: 'view' | 'original', share?: ShareGrant, key = secret) => {
      const pathname = pathOf(photo, name);
      const s = share ? `&s=${share.linkPublicId}` : '';
      const g = grant === 'original' ? '&g=original' : '';
      return `${pathname}?v=${v(photo)}&exp=${expiresAt}${s}&sig=${sign(pathname, photo, expiresAt, grant, share, key)}${g}`;
    };
    const valid = now + 600;
    for (const photo of PHOTOS) {
      const publicCopy = rows[photo].originalExtension === 'heic' ? 'jpg' : rows[photo].originalExtension;
      if (!isPublic(photo)) {
        // A private photo's unsigned URLs, hidden photos' included: what anyone can type.
        cases.push({ why: `${photo}: unsigned thumb`, url: `${pathOf(photo, 'thumb.webp')}?v=${v(photo)}` });
        cases.push({ why: `${photo}: unsigned original`, url: `${pathOf(photo, `original.${publicCopy}`)}?v=${v(photo)}` });
        cases.push({ why: `${photo}: unsigned, no version`, url: pathOf(photo, 'medium.jpg') });
        // Signatures gone bad: expired, too far ahead to be ours, forged, or made with another secret.
        cases.push({ why: `${photo}: expired`, url: signedUrl(photo, 'thumb.webp', now - 1, 'view') });
        cases.push({ why: `${photo}: beyond any TTL`, url: signedUrl(photo, 'thumb.webp', now + 30 * 24 * 3600, 'view') });
        cases.push({
          why: `${photo}: forged`,
          url: signedUrl(photo, 'thumb.webp', valid, 'view').replace(/sig=[^&]+/, `sig=${randomBytes(32).toString('base64url')}`),
        });
        cases.push({ why: `${photo}: another secret`, url: signedUrl(photo, 'thumb.webp', valid, 'view', undefined, 'not the secret') });
        cases.push({
          why: `${photo}: another photo's signature`,
          url: signedUrl(photo, 'thumb.webp', valid, 'view').replace(
            rows[photo].publicId,
            rows[photo === 'inNone' ? 'inOther' : 'inNone'].publicId,
          ),
        });
      } else {
        // A URL key rotated since (the photo was unpublished once): dead for good.
        cases.push({ why: `${photo}: an old URL key`, url: `${pathOf(photo, 'thumb.webp')}?v=${rows[photo].version}.0123456789ab` });
      }
      // The uploaded bytes to anyone but the admin: no URL grants them without a signature for that grant.
      cases.push({
        why: `${photo}: untouched, unsigned`,
        url: `${pathOf(photo, `original.${rows[photo].originalExtension}`)}?v=${v(photo)}&g=original`,
      });
      const viewSigned = signedUrl(photo, `original.${rows[photo].originalExtension}`, valid, 'view');
      cases.push({ why: `${photo}: untouched with a view signature`, url: `${viewSigned}&g=original` });
      if (publicCopy !== rows[photo].originalExtension) {
        cases.push({ why: `${photo}: the uploaded .heic under a view grant`, url: viewSigned });
        cases.push({
          why: `${photo}: the uploaded .heic, public or not`,
          url: `${pathOf(photo, `original.${rows[photo].originalExtension}`)}?v=${v(photo)}`,
        });
      }
      for (const link of ['shareWithOriginals', 'shareWithoutOriginals'] as const) {
        const share = (viewers[link] as { grant: ShareGrant }).grant;
        if (!SEES[link](photo)) {
          // Validly signed under a live link, for a photo its album does not hold.
          cases.push({ why: `${photo}: under ${link}, outside its album`, url: signedUrl(photo, 'thumb.webp', valid, 'view', share) });
        }
        // The untouched original is never signed under a link.
        cases.push({
          why: `${photo}: untouched under ${link}`,
          url: signedUrl(photo, `original.${rows[photo].originalExtension}`, valid, 'original', share),
        });
      }
      // (A public photo's public copy is anyone's, under any parameters: only a private one's is refused.)
      if (inAlbum(photo, 'Shared') && !isPublic(photo)) {
        const share = (viewers.shareWithoutOriginals as { grant: ShareGrant }).grant;
        cases.push({
          why: `${photo}: ORIGINAL under a link that gives none`,
          url: signedUrl(photo, `original.${publicCopy}`, valid, 'view', share),
        });
      }
    }
    return cases;
  }

  it('every URL grantFor hands no one looks exactly like one of a photo that does not exist, GET and HEAD', async () => {
    const cases = notHanded();
    assert.ok(cases.length > 50, `${cases.length} cases`);
    for (const { why, url } of cases) {
      for (const method of ['GET', 'HEAD'] as const) {
        const got = await answer(server.url, url, method);
        const missing = await answer(server.url, ofMissingPhoto(url), method);
        assert.equal(missing.status, 404, `${why}: the missing photo's answer`);
        assert.deepEqual(
          { status: got.status, headers: got.headers, body: got.body.toString('latin1') },
          { status: missing.status, headers: missing.headers, body: missing.body.toString('latin1') },
          `${why} (${method} ${url})`,
        );
      }
    }
  });
});
