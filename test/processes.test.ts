import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { Client, type Dispatcher, request } from 'undici';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, runCli, type SpawnedServer, spawnServer } from './helpers/cli.ts';
import { dataOf, postGraphQL, postInTwoParts } from './helpers/graphql.ts';
import { buildLibrary, importIntoDataDir } from './helpers/library.ts';
import { closeAll, connectionsTo, health, running } from './helpers/processes.ts';
import { makeTempDir } from './helpers/server.ts';
import { createShareLinkAsAdmin } from './helpers/share-links.ts';

const SHARE = 'x-lightbox-share';

const Albums = graphql(`
  query ProcessesAlbums {
    albums(first: 10) {
      nodes {
        title
      }
    }
  }
`);

const Shared = graphql(`
  query ProcessesShared {
    sharedAlbum {
      title
      photos(first: 5) {
        nodes {
          thumb: image(variant: THUMB, format: JPG) {
            url
          }
        }
      }
    }
  }
`);

const Unpublish = graphql(`
  mutation ProcessesUnpublish($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) {
      __typename
    }
  }
`);

const Revoke = graphql(`
  mutation ProcessesRevoke($id: ID!) {
    revokeShareLink(id: $id) {
      __typename
    }
  }
`);

const Unlock = graphql(`
  mutation ProcessesUnlock($token: String!, $password: String!) {
    unlockShareLink(token: $token, password: $password) {
      __typename
    }
  }
`);

const Links = graphql(`
  query ProcessesLinks {
    shareLinks(first: 20) {
      nodes {
        id
        viewCount
      }
    }
  }
`);

const PhotoStates = graphql(`
  query ProcessesPhotoStates {
    photos(first: 50) {
      nodes {
        title
        status
      }
    }
  }
`);

async function statusOf(url: string, dispatcher: Dispatcher): Promise<number> {
  const response = await request(url, { dispatcher });
  await response.body.dump();
  return response.statusCode;
}

describe('several server processes on one library (LIGHTBOX_PROCESSES=2)', () => {
  let dataDir = '';
  let server: SpawnedServer;
  let pids: number[] = [];
  const adminToken = randomBytes(24).toString('base64url');
  const admin = { authorization: `Bearer ${adminToken}` };
  let library: { albums: Record<string, string>; photos: Record<string, string> };

  before(async () => {
    dataDir = await makeTempDir();
    library = await buildLibrary(dataDir, {
      albums: { Open: 'PUBLIC', Trip: 'PRIVATE' },
      photos: {
        shown: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), albums: ['Open'] },
        kept: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0021.jpg'), albums: ['Trip'] },
      },
    });
    server = await spawnServer(dataDir, { LIGHTBOX_PROCESSES: '2', LIGHTBOX_ADMIN_TOKEN: adminToken, LIGHTBOX_WORKERS: '1' });
    pids = (await health(server.url)).processes.each.map((each) => each.pid as number);
  });
  after(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await server.exited;
  });

  it('/healthz, from either process, describes both, the lead and the supervisor; the banner is printed once', async () => {
    const connections = await connectionsTo(server.url, pids);
    try {
      for (const [pid, client] of connections) {
        const answer = await health(server.url, client);
        assert.equal(answer.status, 'ok');
        assert.equal(answer.processes.answeredBy, pid);
        assert.equal(answer.processes.supervisor?.pid, server.child.pid, 'the supervisor is the process `serve` started');
        assert.deepEqual(
          answer.processes.each.map((each) => [each.pid, each.state, each.restarts]),
          pids.map((each) => [each, 'serving', 0]),
        );
        assert.equal(answer.processes.each.filter((each) => each.role === 'lead').length, 1, 'exactly one lead');
        for (const each of answer.processes.each) assert.ok((each.rssBytes ?? 0) > 10_000_000, 'each reports its memory');
      }
    } finally {
      await closeAll(connections.values());
    }
    assert.equal(
      Number.parseInt(await readFile(path.join(dataDir, 'serve.lock'), 'utf8'), 10),
      server.child.pid,
      'the supervisor holds the lock',
    );
    const { stderr } = server.output();
    assert.equal(stderr.split('Lightbox is running').length - 1, 1, stderr);
    assert.match(stderr, /2 server processes share it \(LIGHTBOX_PROCESSES\)/);
  });

  it('a revoke or an unpublish through one process is a 404, or the hidden answer, at the very next request to the other', async () => {
    const [writer, reader] = pids as [number, number];
    const connections = await connectionsTo(server.url, pids);
    const viaWriter = connections.get(writer) as Client;
    const viaReader = connections.get(reader) as Client;
    try {
      const link = await createShareLinkAsAdmin(
        { url: server.url, admin },
        { albumId: encodeGlobalID('Album', library.albums.Trip as string) },
      );
      const publicImage = `${server.url}/images/${library.photos.shown}/thumb.jpg`;
      // The reader remembers each of these: the stored anonymous answer, the photo rows, the files' validators.
      let sharedUrls: string[] = [];
      for (let round = 0; round < 2; round++) {
        assert.deepEqual(
          dataOf(await postGraphQL(server.url, Albums, {}, {}, viaReader)).albums.nodes.map((album) => album.title),
          ['Open'],
        );
        assert.equal(await statusOf(publicImage, viaReader), 200);
        const shared = dataOf(await postGraphQL(server.url, Shared, {}, { [SHARE]: link.token }, viaReader)).sharedAlbum;
        assert.equal(shared?.title, 'Trip');
        sharedUrls = (shared?.photos.nodes ?? []).map((photo) => `${server.url}${photo.thumb.url}`);
        for (const url of sharedUrls) assert.equal(await statusOf(url, viaReader), 200, url);
        assert.equal(await statusOf(`${server.url}${link.url}`, viaReader), 200);
      }

      assert.equal(
        dataOf(await postGraphQL(server.url, Revoke, { id: link.id }, admin, viaWriter)).revokeShareLink.__typename,
        'ShareLinkPayload',
      );
      assert.equal(await statusOf(`${server.url}${link.url}`, viaReader), 404, 'the share page');
      const refused = await postGraphQL(server.url, Shared, {}, { [SHARE]: link.token }, viaReader);
      assert.equal(refused.status, 404);
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'SHARE_LINK_NOT_FOUND');
      for (const url of sharedUrls) assert.equal(await statusOf(url, viaReader), 404, url);

      const unpublished = await postGraphQL(
        server.url,
        Unpublish,
        { input: { id: encodeGlobalID('Album', library.albums.Open as string), visibility: 'PRIVATE' } },
        admin,
        viaWriter,
      );
      assert.equal(dataOf(unpublished).updateAlbum.__typename, 'AlbumPayload');
      assert.deepEqual(
        dataOf(await postGraphQL(server.url, Albums, {}, {}, viaReader)).albums.nodes,
        [],
        'the stored answer is not served',
      );
      assert.equal(await statusOf(publicImage, viaReader), 404, 'the photo row the image route kept is not used');
    } finally {
      await closeAll(connections.values());
    }
  });

  it('wrong passwords are counted once for the whole server: the per-address and per-link limits hold across processes', async () => {
    const link = await createShareLinkAsAdmin(
      { url: server.url, admin },
      { albumId: encodeGlobalID('Album', library.albums.Trip as string), password: 'the right one' },
    );
    const attempt = async (client: Client) =>
      dataOf(await postGraphQL(server.url, Unlock, { token: link.token, password: 'wrong' }, {}, client)).unlockShareLink.__typename;
    const opened: Client[] = [];
    const from = async (address: string) => {
      const connections = await connectionsTo(server.url, pids, address);
      opened.push(...connections.values());
      return pids.map((pid) => connections.get(pid) as Client);
    };
    try {
      // 10 per address, 5 through each process: each process alone would allow 10 more.
      const first = await from('127.0.0.1');
      for (let index = 0; index < 10; index++)
        assert.equal(await attempt(first[index % 2] as Client), 'WrongPasswordError', `attempt ${index + 1}`);
      for (const client of first) assert.equal(await attempt(client), 'RateLimitedError', 'the address is held back by either process');
      // 20 per link: 10 more from two other addresses, then a third is refused by the link's window.
      for (const address of ['127.0.0.2', '127.0.0.3']) {
        const clients = await from(address);
        for (let index = 0; index < 5; index++) assert.equal(await attempt(clients[index % 2] as Client), 'WrongPasswordError', address);
      }
      for (const client of await from('127.0.0.4'))
        assert.equal(await attempt(client), 'RateLimitedError', 'the link is held back by either process');
    } finally {
      await closeAll(opened);
    }
  });

  it('a listing of share links, through either process, counts the views every process answered', async () => {
    const link = await createShareLinkAsAdmin(
      { url: server.url, admin },
      { albumId: encodeGlobalID('Album', library.albums.Trip as string) },
    );
    const connections = await connectionsTo(server.url, pids);
    try {
      const [first, second] = pids.map((pid) => connections.get(pid) as Client) as [Client, Client];
      for (let view = 0; view < 3; view++) dataOf(await postGraphQL(server.url, Shared, {}, { [SHARE]: link.token }, first));
      for (let view = 0; view < 2; view++) dataOf(await postGraphQL(server.url, Shared, {}, { [SHARE]: link.token }, second));
      for (const client of [first, second]) {
        const listed = dataOf(await postGraphQL(server.url, Links, {}, admin, client)).shareLinks.nodes.find((each) => each.id === link.id);
        assert.equal(listed?.viewCount, 5);
      }
    } finally {
      await closeAll(connections.values());
    }
  });

  it('kill -9 of the lead: the other answers meanwhile; its replacement takes the lead and processes photos', async () => {
    const before = (await health(server.url)).processes.each;
    const lead = before.find((each) => each.role === 'lead')?.pid as number;
    const other = before.find((each) => each.role === 'server')?.pid as number;
    process.kill(lead, 'SIGKILL');
    await server.logged('a server process exited; starting another in its place');
    const during = await health(server.url);
    assert.equal(during.processes.answeredBy, other);
    assert.equal(during.status, 'degraded', 'a process is missing');
    for (let index = 0; index < 10; index++) {
      const client = new Client(server.url);
      try {
        assert.equal((await health(server.url, client)).processes.answeredBy, other, 'each new connection is answered');
      } finally {
        await client.close();
      }
    }
    await server.logged('a server process took the place of the one that exited', 1);
    assert.equal((await health(server.url)).status, 'ok', 'the replacement serves');
    const after = (await health(server.url)).processes.each;
    const replacement = after.find((each) => each.role === 'lead');
    assert.ok(replacement?.pid !== undefined && replacement.pid !== lead && replacement.pid !== other, JSON.stringify(after));
    assert.equal(replacement.restarts, 1);
    assert.deepEqual(
      after.filter((each) => each.role === 'server').map((each) => [each.pid, each.restarts]),
      [[other, 0]],
    );
    pids = after.map((each) => each.pid as number);
    const imported = await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'gps'), { album: 'After the crash' });
    assert.equal(imported.imported, 1, 'DSCN0040.jpg: the other two are in the library already');
    // The two photos of the library, then the one imported.
    await server.logged('processed a photo', 3);
    const states = dataOf(await postGraphQL(server.url, PhotoStates, {}, admin)).photos.nodes.map((photo) => photo.status);
    assert.deepEqual(states, ['READY', 'READY', 'READY']);
  });

  it('SIGTERM to the supervisor: every process stops accepting and finishes what is in flight; the WAL is checkpointed; exit 0', async () => {
    const connections = await connectionsTo(server.url, pids);
    // Requests before this test logged it too: wait for one more.
    const arrived = server.output().stdout.split('"msg":"graphql request body arriving"').length - 1;
    const slow = postInTwoParts([...connections.values()][0] as Client, '{ __typename }');
    await server.logged('graphql request body arriving', arrived + 1);
    server.child.kill('SIGTERM');
    // The supervisor's line and each process's.
    await server.logged('shutting down', 3);
    slow.finish();
    const response = await slow.response;
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await response.body.json(), { data: { __typename: 'Query' } });
    await closeAll(connections.values());
    assert.equal(await server.exited, 0);
    for (const pid of pids) assert.equal(running(pid), false, `process ${pid} has exited`);
    const wal = await stat(path.join(dataDir, 'lightbox.db-wal')).catch(() => undefined);
    assert.ok(wal === undefined || wal.size === 0, 'the WAL was checkpointed into the database');
    assert.equal(await stat(path.join(dataDir, 'serve.lock')).catch(() => undefined), undefined, 'the lock is given up');
    const { stdout } = server.output();
    const afterSignal = stdout.slice(stdout.indexOf('"msg":"shutting down"'));
    assert.doesNotMatch(afterSignal, /starting another in its place|"msg":"server process is listening"/, 'no restart during shutdown');
  });
});

describe('the supervisor and its failures', () => {
  it('killed, its processes stop by themselves; the next server takes the lock over', async () => {
    const dataDir = await makeTempDir();
    const server = await spawnServer(dataDir, { LIGHTBOX_PROCESSES: '2', LOG_LEVEL: 'warn', LIGHTBOX_SHUTDOWN_GRACE_MS: '1000' });
    const pids = (await health(server.url)).processes.each.map((each) => each.pid as number);
    // Its processes write to the same pipe: it closes once the last of them has exited.
    const closed = once(server.child.stdout as NodeJS.ReadableStream, 'close');
    server.child.kill('SIGKILL');
    await server.exited;
    await closed;
    for (const pid of pids) assert.equal(running(pid), false, `process ${pid} has exited`);
    const again = await spawnServer(dataDir, { LIGHTBOX_PROCESSES: '2', LOG_LEVEL: 'warn' });
    assert.equal((await health(again.url)).status, 'ok');
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  it('a port in use: one line, exit 1, and no new library left behind', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const dataDir = path.join(await makeTempDir(), 'new-library');
    try {
      const result = await runCli(
        ['serve'],
        { LIGHTBOX_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LIGHTBOX_PROCESSES: '2' },
        60_000,
      );
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', new RegExp(`^lightbox: PORT ${port} is already in use on 127\\.0\\.0\\.1`));
      assert.equal(await stat(dataDir).catch(() => undefined), undefined, 'the library it made is taken back');
    } finally {
      holder.close();
    }
  });
});
