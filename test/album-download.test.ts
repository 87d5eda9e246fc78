import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import exifr from 'exifr';
import sharp from 'sharp';
import { request } from 'undici';
import { buildBigAlbum } from '../bench/lib/big-album.ts';
import { openDatabase } from '../src/db/client.ts';
import { newPublicId } from '../src/ids.ts';
import { imageSignature } from '../src/images/url-signing.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin, expireShareLinkNow, revokeShareLinkAsAdmin } from './helpers/share-links.ts';

const run = promisify(execFile);
/** Info-ZIP's unzip reads the archives back, as a person's machine would; CI always has it (.ci/run). */
const unzipSkip = existsSync('/usr/bin/unzip') || process.env.CI ? false : 'unzip is not installed (apt-get install unzip)';

const AlbumDownload = graphql(`
  query AlbumDownload($id: ID!) {
    album(id: $id) {
      title
      download {
        url
        expiresAt
      }
    }
  }
`);

const SharedDownload = graphql(`
  query SharedDownload {
    sharedAlbum {
      download {
        url
      }
    }
  }
`);

/** Album order is capture time; these fixtures' titles are made to collide (in any case) and to need cleaning. */
const PLAN = {
  albums: { Trip: 'PRIVATE', Elsewhere: 'PUBLIC' },
  photos: {
    a: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), albums: ['Trip'] },
    b: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0021.jpg'), albums: ['Trip'] },
    c: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0040.jpg'), albums: ['Trip'] },
    d: { file: path.join(FIXTURE_PHOTOS, 'heic/landscape-1.heic'), albums: ['Trip'] },
    e: { file: path.join(FIXTURE_PHOTOS, 'cameras/canon-ixus.jpg'), albums: ['Elsewhere'] },
  },
} as const;
const TITLES = { a: 'Beach', b: 'beach', c: '../../etc/passwd\u0007', d: 'Beach.HEIC', e: 'Not in the trip' } as const;

/** What a URL the server does not have answers: every refused download must answer exactly so. */
interface Answer {
  status: number;
  body: string;
  type: string | undefined;
  cache: string | undefined;
}

async function answerOf(url: string): Promise<Answer> {
  const response = await request(url);
  const header = (name: string) => response.headers[name] as string | undefined;
  return { status: response.statusCode, body: await response.body.text(), type: header('content-type'), cache: header('cache-control') };
}

async function download(url: string, into: string): Promise<{ file: string; headers: Record<string, unknown> }> {
  const response = await request(url);
  assert.equal(response.statusCode, 200, url);
  const file = path.join(into, `${randomBytes(4).toString('hex')}.zip`);
  await writeFile(file, Buffer.from(await response.body.arrayBuffer()));
  return { file, headers: response.headers };
}

/** `unzip -t` passes, and the entries' names in archive order. */
async function testedEntries(file: string): Promise<string[]> {
  const tested = await run('unzip', ['-t', file]);
  assert.match(tested.stdout, /No errors detected/);
  return (await run('unzip', ['-Z1', file])).stdout.split('\n').filter((line) => line !== '');
}

async function extracted(file: string, into: string): Promise<string> {
  const dir = path.join(into, path.basename(file, '.zip'));
  await mkdir(dir);
  await run('unzip', ['-q', file, '-d', dir]);
  return dir;
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('album download: a ZIP streamed as it is written', { skip: unzipSkip }, () => {
  const secret = randomBytes(32).toString('base64url');
  let server: TestServer;
  let work: string;
  let tripId: string;
  let elsewhereId: string;
  let tripPublicId: string;
  let originals: Link;
  let noOriginals: Link;
  let missing: Answer;

  type Link = Awaited<ReturnType<typeof createShareLinkAsAdmin>>;

  before(async () => {
    // info: a download cut short is logged there, and the disconnect test waits for that line.
    server = await startTestServer({ LIGHTBOX_SECRET: secret, LOG_LEVEL: 'info' });
    work = await makeTempDir();
    const built = await buildLibrary(server.dataDir, { albums: { ...PLAN.albums }, photos: PLAN.photos as never });
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'));
    try {
      // Capture times fix the album's order: a, b, c, d.
      const retitle = handle.sqlite.prepare('UPDATE photos SET title = ?, taken_at = ? WHERE public_id = ?');
      for (const [index, name] of (['a', 'b', 'c', 'd', 'e'] as const).entries())
        retitle.run(TITLES[name], Date.UTC(2020, 0, 1 + index), built.photos[name]);
    } finally {
      handle.close();
    }
    tripPublicId = built.albums.Trip as string;
    tripId = encodeGlobalID('Album', tripPublicId);
    elsewhereId = encodeGlobalID('Album', built.albums.Elsewhere as string);
    originals = await createShareLinkAsAdmin(server, { albumId: tripId, allowOriginals: true });
    noOriginals = await createShareLinkAsAdmin(server, { albumId: tripId, allowOriginals: false });
    missing = await answerOf(`${server.url}/no/such/path`);
    assert.equal(missing.status, 404);
  });

  after(() => server.close());

  const adminUrl = async () => {
    const data = dataOf(await postGraphQL(server.url, AlbumDownload, { id: tripId }, server.admin));
    return data.album?.download?.url as string;
  };
  const sharedUrl = async (link: Link) =>
    dataOf(await postGraphQL(server.url, SharedDownload, {}, { 'x-lightbox-share': link.token })).sharedAlbum?.download?.url ?? null;

  it("the owner's archive holds exactly the album's photos, byte for byte, under clean de-duplicated names in album order", async () => {
    const data = dataOf(await postGraphQL(server.url, AlbumDownload, { id: tripId }, server.admin));
    const url = data.album?.download?.url as string;
    assert.match(url, /^\/download\/albums\/[\w-]{22}\.zip\?exp=\d+&sig=[\w-]+$/);
    assert.ok(Date.parse(data.album?.download?.expiresAt as string) > Date.now());
    const { file, headers } = await download(`${server.url}${url}`, work);
    assert.equal(headers['content-type'], 'application/zip');
    assert.equal(headers['content-disposition'], `attachment; filename="Trip.zip"; filename*=UTF-8''Trip.zip`);
    assert.equal(headers['cache-control'], 'private, no-store');
    const names = await testedEntries(file);
    assert.deepEqual(names, ['Beach.jpg', 'beach (2).jpg', '_.._etc_passwd_.jpg', 'Beach.heic']);
    const dir = await extracted(file, work);
    for (const [name, photo] of [
      ['Beach.jpg', 'a'],
      ['beach (2).jpg', 'b'],
      ['_.._etc_passwd_.jpg', 'c'],
      ['Beach.heic', 'd'],
    ] as const) {
      assert.equal(sha(await readFile(path.join(dir, name))), sha(await readFile(PLAN.photos[photo].file)), name);
    }
    assert.ok((await exifr.gps(await readFile(path.join(dir, 'Beach.jpg'))))?.latitude, "the owner's files keep their GPS");
    // Stable: the same names, and the same bytes, on the next download.
    const again = await download(`${server.url}${url}`, work);
    assert.equal(sha(await readFile(again.file)), sha(await readFile(file)));
  });

  it("a share link that allows originals gets the public copies of its album's photos: no GPS, no EXIF, HEIF as JPEG", async () => {
    const url = await sharedUrl(originals);
    assert.match(url ?? '', /&s=[\w-]{22}&sig=/);
    const { file } = await download(`${server.url}${url}`, work);
    assert.deepEqual(await testedEntries(file), ['Beach.jpg', 'beach (2).jpg', '_.._etc_passwd_.jpg', 'Beach (3).jpg']);
    const dir = await extracted(file, work);
    for (const name of readdirSync(dir)) {
      const bytes = await readFile(path.join(dir, name));
      assert.equal(await exifr.gps(bytes).catch(() => undefined), undefined, `${name}: no GPS`);
      const metadata = await sharp(bytes).metadata();
      assert.equal(metadata.format, 'jpeg', name);
      assert.equal(metadata.exif, undefined, `${name}: no EXIF`);
    }
    // What the image route serves for ORIGINAL under the link: the same copy.
    assert.notEqual(sha(await readFile(path.join(dir, 'Beach.jpg'))), sha(await readFile(PLAN.photos.a.file)));
  });

  it("a share link's holder is offered no download of any other album, nor is anyone without the admin token", async () => {
    const asLink = dataOf(await postGraphQL(server.url, AlbumDownload, { id: elsewhereId }, { 'x-lightbox-share': originals.token }));
    assert.equal(asLink.album?.title, 'Elsewhere');
    assert.equal(asLink.album?.download, null);
    const anonymous = dataOf(await postGraphQL(server.url, AlbumDownload, { id: elsewhereId }));
    assert.equal(anonymous.album?.download, null);
    assert.equal(await sharedUrl(noOriginals), null);
  });

  it('a forged, tampered, expired, unknown or other-grant URL answers exactly as a missing path', async () => {
    const good = new URL(`${server.url}${await sharedUrl(originals)}`);
    const owner = new URL(`${server.url}${await adminUrl()}`);
    const exp = Number(owner.searchParams.get('exp'));
    const signed = (pathname: string, expiresAt: number) =>
      `${server.url}${pathname}?exp=${expiresAt}&sig=${imageSignature(secret, { pathname, expiresAt, urlKey: '', grant: 'original' })}`;
    const noOriginalsId = decodeGlobalID(noOriginals.id).id;
    const tampered = (url: URL, change: (params: URLSearchParams) => void) => {
      const copy = new URL(url);
      change(copy.searchParams);
      return copy.toString();
    };
    const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
    const refused = {
      'no signature': `${server.url}${owner.pathname}`,
      'tampered signature': tampered(owner, (p) => p.set('sig', flip(p.get('sig') as string))),
      'later expiry': tampered(owner, (p) => p.set('exp', String(exp + 900))),
      'another album': owner.toString().replace(tripPublicId, newPublicId()),
      'share link dropped (becomes the untouched grant)': tampered(good, (p) => p.delete('s')),
      'another link': tampered(good, (p) => p.set('s', noOriginalsId)),
      'unknown link': tampered(good, (p) => p.set('s', newPublicId())),
      'expired, well signed': signed(owner.pathname, Math.floor(Date.now() / 1000) - 1),
      'too far ahead, well signed': signed(owner.pathname, Math.floor(Date.now() / 1000) + 400 * 24 * 3600),
      'unknown album, well signed': signed(`/download/albums/${newPublicId()}.zip`, exp),
      'malformed path': `${server.url}/download/albums/..%2f..%2fetc.zip?${owner.searchParams}`,
      'other path': `${server.url}/download/albums/${tripPublicId}.tar?${owner.searchParams}`,
    };
    for (const [what, url] of Object.entries(refused)) assert.deepEqual(await answerOf(url), missing, what);
    // The untampered ones do work.
    assert.equal((await request(owner)).statusCode, 200);
    assert.equal((await request(good)).statusCode, 200);
  });

  it('a URL handed out under a link dies with the link: revoked, or run out', async () => {
    const revoked = await createShareLinkAsAdmin(server, { albumId: tripId, allowOriginals: true });
    const expiring = await createShareLinkAsAdmin(server, {
      albumId: tripId,
      allowOriginals: true,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    const revokedUrl = `${server.url}${await sharedUrl(revoked)}`;
    const expiringUrl = `${server.url}${await sharedUrl(expiring)}`;
    assert.equal((await answerOf(revokedUrl)).status, 200);
    await revokeShareLinkAsAdmin(server, revoked.id);
    expireShareLinkNow(server.dataDir, expiring.id);
    assert.deepEqual(await answerOf(revokedUrl), missing, 'revoked');
    assert.deepEqual(await answerOf(expiringUrl), missing, 'expired');
  });

  it('a link that stops allowing originals voids its download URLs', async () => {
    const link = await createShareLinkAsAdmin(server, { albumId: tripId, allowOriginals: true });
    const url = `${server.url}${await sharedUrl(link)}`;
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'));
    try {
      handle.sqlite.prepare('UPDATE share_links SET allow_originals = 0 WHERE public_id = ?').run(decodeGlobalID(link.id).id);
    } finally {
      handle.close();
    }
    assert.deepEqual(await answerOf(url), missing);
  });

  it('the share page offers "Download album" where the link allows originals, and the link downloads', async () => {
    const page = await (await request(`${server.url}${originals.url}`)).body.text();
    const href = /<a href="([^"]+)" download>Download album<\/a>/.exec(page)?.[1]?.replace(/&#38;|&amp;/g, '&');
    assert.ok(href, 'a download link on the page');
    const { file } = await download(`${server.url}${href}`, work);
    assert.equal((await testedEntries(file)).length, 4);
    const without = await (await request(`${server.url}${noOriginals.url}`)).body.text();
    assert.doesNotMatch(without, /Download album/);
  });

  it('HEAD answers the headers alone; other methods are refused with Allow', async () => {
    const url = `${server.url}${await adminUrl()}`;
    const head = await request(url, { method: 'HEAD' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-type'], 'application/zip');
    assert.equal((await head.body.arrayBuffer()).byteLength, 0);
    const post = await request(url, { method: 'POST' });
    await post.body.dump();
    assert.equal(post.statusCode, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('a client that goes away mid-archive leaves no file open, and the server serves on', async () => {
    const big = buildBigAlbum(server.dataDir, { photos: 40, files: 2, fileBytes: 4 * 1024 * 1024, title: 'Big' });
    const id = encodeGlobalID('Album', big.albumPublicId);
    const url = dataOf(await postGraphQL(server.url, AlbumDownload, { id }, server.admin)).album?.download?.url as string;
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const response = await request(`${server.url}${url}`);
    let received = 0;
    for await (const chunk of response.body) {
      received += (chunk as Buffer).length;
      if (received > 1024 * 1024) break;
    }
    response.body.destroy();
    // The server ends the archive once it sees the socket go, the file it was reading closed first.
    await server.logged('album download cut short', 1);
    assert.ok(openFiles() <= before, `open files ${openFiles()} back to ${before}`);
    assert.ok(received < big.totalBytes / 2);
    const whole = await download(`${server.url}${url}`, work);
    assert.equal((await testedEntries(whole.file)).length, 40);
  });
});
