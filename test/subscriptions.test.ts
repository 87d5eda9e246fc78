import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { request } from 'undici';
import { MAX_GRAPHQL_IN_FLIGHT } from '../src/http/graphql-route.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, LIGHTBOX_BIN, REPO_ROOT, runCli } from './helpers/cli.ts';
import { type EventStream, subscribe } from './helpers/events.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin, revokeShareLinkAsAdmin } from './helpers/share-links.ts';

const LibraryChanged = graphql(`
  subscription LibraryChanged {
    libraryChanged {
      photos {
        id
        title
      }
      removedPhotoIds
      albums {
        id
        title
        visibility
      }
      removedAlbumIds
      missed
    }
  }
`);

const PhotoStatuses = graphql(`
  subscription PhotoStatusesChanged {
    libraryChanged {
      photos {
        id
        status
      }
    }
  }
`);

const Retitle = graphql(`
  mutation RetitlePhoto($input: UpdatePhotoInput!) {
    updatePhoto(input: $input) {
      __typename
    }
  }
`);

const ChangeAlbum = graphql(`
  mutation ChangeAlbum($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) {
      __typename
    }
  }
`);

const RemovePhoto = graphql(`
  mutation RemovePhoto($id: ID!) {
    deletePhoto(id: $id) {
      __typename
    }
  }
`);

const AlbumCount = graphql(`
  query AlbumCountWhileSubscribed {
    albums(first: 1) {
      totalCount
    }
  }
`);

type Event = Awaited<ReturnType<EventStream<{ libraryChanged: LibraryChange }>['next']>>;
interface LibraryChange {
  photos: { id: string; title: string }[];
  removedPhotoIds: string[];
  albums: { id: string; title: string; visibility: string }[];
  removedAlbumIds: string[];
  missed: boolean;
}

function changeOf(event: Event): LibraryChange {
  assert.equal(event.errors, undefined, JSON.stringify(event.errors));
  return (event.data as { libraryChanged: LibraryChange }).libraryChanged;
}

/** Everything some events said, merged: how changes are cut into events depends on when the server polled. */
interface Heard {
  titles: Map<string, string>;
  removedPhotoIds: Set<string>;
  visibilities: Map<string, string>;
  removedAlbumIds: Set<string>;
}

function merged(changes: readonly LibraryChange[]): Heard {
  const heard: Heard = { titles: new Map(), removedPhotoIds: new Set(), visibilities: new Map(), removedAlbumIds: new Set() };
  for (const change of changes) {
    for (const shown of change.photos) heard.titles.set(shown.id, shown.title);
    for (const id of change.removedPhotoIds) heard.removedPhotoIds.add(id);
    for (const shown of change.albums) heard.visibilities.set(shown.id, shown.visibility);
    for (const id of change.removedAlbumIds) heard.removedAlbumIds.add(id);
  }
  return heard;
}

/** One subscriber's events, all kept: a test waits for what it expects, then checks what else came. */
class Listener {
  readonly log: LibraryChange[] = [];
  private mark = 0;

  constructor(readonly stream: EventStream<{ libraryChanged: LibraryChange }>) {}

  /** Reads events until what came since the last call satisfies `expected`; returns it. */
  async until(expected: (heard: Heard) => boolean): Promise<Heard> {
    for (;;) {
      const since = merged(this.log.slice(this.mark));
      if (expected(since)) {
        this.mark = this.log.length;
        return since;
      }
      this.log.push(changeOf(await this.stream.next()));
    }
  }

  /** Every id this subscriber was ever told of. */
  everyId(): Set<string> {
    const heard = merged(this.log);
    return new Set([...heard.titles.keys(), ...heard.removedPhotoIds, ...heard.visibilities.keys(), ...heard.removedAlbumIds]);
  }
}

const photo = (publicId: string) => encodeGlobalID('Photo', publicId);
const album = (publicId: string) => encodeGlobalID('Album', publicId);

describe('subscriptions: each viewer hears of the changes it may see, and of nothing else', () => {
  let server: TestServer;
  let ids: { albums: Record<string, string>; photos: Record<string, string> };
  let anonymous: Listener;
  let admin: Listener;
  let share: Listener;
  let link: { id: string; token: string };
  const id = {
    beach: '',
    kitchen: '',
    attic: '',
    holidays: '',
    family: '',
  };

  before(async () => {
    server = await startTestServer();
    ids = await buildLibrary(server.dataDir, {
      albums: { Holidays: 'PUBLIC', Family: 'PRIVATE' },
      photos: {
        beach: { file: path.join(FIXTURE_PHOTOS, 'cameras/canon-ixus.jpg'), albums: ['Holidays'] },
        kitchen: { file: path.join(FIXTURE_PHOTOS, 'cameras/nikon-e950.jpg'), albums: ['Family'] },
        attic: { file: path.join(FIXTURE_PHOTOS, 'cameras/sony-d700.jpg'), albums: [] },
      },
    });
    Object.assign(id, {
      beach: photo(ids.photos.beach as string),
      kitchen: photo(ids.photos.kitchen as string),
      attic: photo(ids.photos.attic as string),
      holidays: album(ids.albums.Holidays as string),
      family: album(ids.albums.Family as string),
    });
    link = await createShareLinkAsAdmin(server, { albumId: id.family });
    anonymous = new Listener(await subscribe(server.url, LibraryChanged));
    admin = new Listener(await subscribe(server.url, LibraryChanged, undefined, server.admin));
    share = new Listener(await subscribe(server.url, LibraryChanged, undefined, { 'x-lightbox-share': link.token }));
  });

  after(async () => {
    for (const listener of [anonymous, admin, share]) listener?.stream.close();
    await server.close();
  });

  it('answers as an event stream that no cache keeps', () => {
    for (const { stream } of [anonymous, admin, share]) {
      assert.equal(stream.status, 200);
      assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
      assert.equal(stream.headers['cache-control'], 'no-store');
    }
  });

  it('a private photo changed: the admin and the share link of its album hear of it, the anonymous do not', async () => {
    await postGraphQL(server.url, Retitle, { input: { id: id.kitchen, title: 'Kitchen, 2019' } }, server.admin);
    // Then a public one: what the anonymous subscriber waits for, with nothing of the first before it.
    await postGraphQL(server.url, Retitle, { input: { id: id.beach, title: 'Beach, 2019' } }, server.admin);
    for (const listener of [admin, share]) {
      await listener.until((heard) => heard.titles.get(id.kitchen) === 'Kitchen, 2019' && heard.titles.get(id.beach) === 'Beach, 2019');
    }
    const heard = await anonymous.until((since) => since.titles.get(id.beach) === 'Beach, 2019');
    assert.deepEqual([...heard.titles.keys()], [id.beach]);
  });

  it('a public album made private is gone, with its photos, for those who saw it only as public', async () => {
    await postGraphQL(server.url, ChangeAlbum, { input: { id: id.holidays, visibility: 'PRIVATE' } }, server.admin);
    for (const listener of [anonymous, share]) {
      const heard = await listener.until((since) => since.removedAlbumIds.has(id.holidays) && since.removedPhotoIds.has(id.beach));
      assert.equal(heard.visibilities.size + heard.titles.size, 0);
    }
    const heard = await admin.until((since) => since.visibilities.get(id.holidays) === 'PRIVATE');
    assert.equal(heard.removedAlbumIds.size, 0);
  });

  it('a photo no viewer but the admin ever saw is deleted: the admin hears of it, nobody else', async () => {
    await postGraphQL(server.url, RemovePhoto, { id: id.attic }, server.admin);
    await admin.until((since) => since.removedPhotoIds.has(id.attic));
    // The album made public again: what the anonymous subscriber waits for next.
    await postGraphQL(server.url, ChangeAlbum, { input: { id: id.holidays, visibility: 'PUBLIC' } }, server.admin);
    const back = await anonymous.until((since) => since.visibilities.has(id.holidays) && since.titles.has(id.beach));
    assert.equal(back.removedPhotoIds.size, 0);
    for (const hidden of [id.attic, id.kitchen, id.family]) assert.ok(!anonymous.everyId().has(hidden), `the anonymous heard of ${hidden}`);
  });

  it('a revoked share link ends its subscription; the others go on', async () => {
    await revokeShareLinkAsAdmin(server, link.id);
    await postGraphQL(server.url, Retitle, { input: { id: id.kitchen, title: 'Kitchen' } }, server.admin);
    assert.equal(await share.stream.completed, 'complete');
    await admin.until((since) => since.titles.get(id.kitchen) === 'Kitchen');
    assert.ok(
      !share.log.some((change) => change.photos.some((shown) => shown.title === 'Kitchen')),
      'the revoked link heard of a later change',
    );
  });
});

describe('subscriptions: changes made by another process, and what streams hold', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  it('photos a `lightbox import` in its own process adds reach an admin subscriber', async () => {
    const stream = await subscribe(server.url, LibraryChanged, undefined, server.admin);
    try {
      const folder = path.join(await makeTempDir(), 'trip');
      await mkdir(folder);
      await cp(path.join(FIXTURE_PHOTOS, 'cameras/kodak-dc240.jpg'), path.join(folder, 'kodak-dc240.jpg'));
      const imported = await runCli(['import', folder], { LIGHTBOX_DATA_DIR: server.dataDir });
      assert.equal(imported.code, 0, imported.stderr);
      const heard = await new Listener(stream).until((since) => since.titles.size > 0 && since.visibilities.size > 0);
      assert.equal(heard.titles.size, 1);
    } finally {
      stream.close();
    }
  });

  it('a separate `lightbox worker` process finishing a photo reaches a subscriber as status READY', async () => {
    const folder = path.join(await makeTempDir(), 'one');
    await mkdir(folder);
    await cp(path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), path.join(folder, 'DSCN0010.jpg'));
    // The server runs no worker of its own (LIGHTBOX_WORKERS=0): the photo waits, PENDING.
    const imported = await runCli(['import', folder], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(imported.code, 0, imported.stderr);
    const stream = await subscribe(server.url, PhotoStatuses, undefined, server.admin);
    const worker = spawn(process.execPath, [LIGHTBOX_BIN, 'worker'], {
      cwd: REPO_ROOT,
      env: { ...process.env, LIGHTBOX_DATA_DIR: server.dataDir, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    try {
      for (;;) {
        const event = await stream.next();
        assert.equal(event.errors, undefined, JSON.stringify(event.errors));
        const statuses = (event.data as { libraryChanged: { photos: { status: string }[] } }).libraryChanged.photos.map((p) => p.status);
        if (statuses.includes('READY')) break;
      }
    } finally {
      worker.kill('SIGTERM');
      stream.close();
    }
  });

  it('open subscriptions hold none of the in-flight slots queries need', async () => {
    const streams = await Promise.all(Array.from({ length: MAX_GRAPHQL_IN_FLIGHT + 2 }, () => subscribe(server.url, LibraryChanged)));
    try {
      for (const stream of streams) assert.equal(stream.status, 200);
      const answer = await postGraphQL(server.url, AlbumCount);
      assert.equal(answer.status, 200);
      assert.equal(typeof dataOf(answer).albums.totalCount, 'number');
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('a shutdown completes every subscription instead of waiting for it', async () => {
    const own = await startTestServer();
    const stream = await subscribe(own.url, LibraryChanged);
    await own.close();
    assert.equal(await stream.completed, 'complete', 'the stream was cut, not completed');
    const after = await request(`${own.url}/healthz`).catch((error: Error) => error);
    assert.ok(after instanceof Error, 'the server still answers after close');
  });
});
