import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync, rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { request } from 'undici';
import { loadConfig } from '../src/config.ts';
import { ImageFileCache, type KeptFile } from '../src/http/file-cache.ts';
import { shareImageMemory } from '../src/http/image-memory.ts';
import { makeTempDir } from './helpers/server.ts';
import { untilEvent } from './helpers/wait.ts';

const MB = 1024 * 1024;

function readInto(cache: ImageFileCache, file: string, stats: Stats = statSync(file)): Promise<KeptFile | undefined> {
  return new Promise((resolve) => cache.read(file, stats, resolve));
}

function bytesOf(kept: KeptFile): Buffer {
  return Buffer.concat(kept.views as Buffer[]);
}

/** What the test server has done so far; `events` emits `step` after each of it. */
interface Served {
  url: string;
  events: EventEmitter;
  /** Paths asked for, in the order the server was asked. */
  requested: string[];
  /** Answers handed their bytes (kept or not). */
  answered: number;
  /** Responses closed (ended, or their connection gone). */
  answersClosed: number;
}

/**
 * Runs `test` against a node:http server answering `/<file>?start=&end=` from `cache`, reading
 * the file into it when not kept, as the image route does; closes the server after.
 */
async function withServer(cache: ImageFileCache, dir: string, test: (served: Served) => Promise<void>): Promise<void> {
  const events = new EventEmitter();
  const step = () => events.emit('step');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    served.requested.push(url.pathname);
    res.once('close', () => {
      served.answersClosed++;
      step();
    });
    step();
    // Answered never: what a render or a long stream ahead of a pipelined request looks like.
    if (url.pathname === '/hold') return;
    const file = path.join(dir, url.pathname.slice(1));
    const stats = statSync(file);
    const start = Number(url.searchParams.get('start') ?? 0);
    const end = Number(url.searchParams.get('end') ?? stats.size - 1);
    const answer = (kept: KeptFile | undefined) => {
      res.writeHead(200, { 'x-kept': kept === undefined ? 'no' : 'yes', 'content-length': end - start + 1 });
      if (kept === undefined) res.end(readFileSync(file).subarray(start, end + 1));
      else cache.send(res, kept, start, end);
      served.answered++;
      step();
    };
    const kept = cache.get(file, stats.mtimeMs, stats.size);
    if (kept !== undefined) answer(kept);
    // A read that ends after the client has gone, as one of a busy thread pool may.
    else if (url.searchParams.has('late')) req.socket.once('close', () => cache.read(file, stats, answer));
    else cache.read(file, stats, answer);
  });
  server.on('connection', (socket: Socket) => socket.once('close', step));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const served: Served = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    requested: [],
    answered: 0,
    answersClosed: 0,
  };
  try {
    await test(served);
  } finally {
    server.close();
  }
}

/** Waits, on the server's own steps, until `condition` holds. */
function untilServed(served: Served, condition: () => boolean, what: string): Promise<void> {
  return untilEvent(served.events, 'step', condition, what, 10_000);
}

/** A raw connection that has written `text`: the test decides how it leaves. */
function rawConnection(url: string, text: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(text, () => resolve(socket)));
    socket.on('data', () => {});
    socket.once('error', reject);
  });
}

describe('kept image bytes: one slab of blocks, bounded, never reused while being sent', () => {
  let dir: string;

  before(async () => {
    dir = await makeTempDir();
  });

  it('many small files never pass the bound, and the most recently asked stay, byte for byte', async () => {
    const cache = new ImageFileCache(4 * MB);
    const contents: Buffer[] = [];
    for (let index = 0; index < 1_500; index++) {
      const file = path.join(dir, `small-${index}`);
      const content = randomBytes(1 + ((index * 7_919) % 9_000));
      writeFileSync(file, content);
      contents.push(content);
      const kept = await readInto(cache, file);
      assert.ok(kept, `file ${index} was not kept`);
      assert.ok(cache.memoryBytes <= cache.maxTotalBytes, `${cache.memoryBytes} > ${cache.maxTotalBytes} after file ${index}`);
    }
    for (let index = 1_500 - 50; index < 1_500; index++) {
      const file = path.join(dir, `small-${index}`);
      const stats = statSync(file);
      const kept = cache.get(file, stats.mtimeMs, stats.size);
      assert.ok(kept, `recent file ${index} was dropped`);
      assert.deepEqual(bytesOf(kept), contents[index]);
    }
    const first = statSync(path.join(dir, 'small-0'));
    assert.equal(cache.get(path.join(dir, 'small-0'), first.mtimeMs, first.size), undefined, 'the store never evicted');
  });

  it('a file changed after the stat the request took is not kept as that stat, and its blocks go back', async () => {
    const cache = new ImageFileCache(4 * MB);
    const file = path.join(dir, 'changing');
    writeFileSync(file, randomBytes(10_000));
    const seen = statSync(file);
    writeFileSync(file, randomBytes(12_000));
    assert.equal(await readInto(cache, file, seen), undefined);
    assert.equal(cache.memoryBytes, 0);
    assert.equal(cache.get(file, seen.mtimeMs, seen.size), undefined);
    const now = await readInto(cache, file);
    assert.ok(now);
    assert.equal(now.size, 12_000);
  });

  it('a file that is gone is not kept, and its blocks go back', async () => {
    const cache = new ImageFileCache(4 * MB);
    const file = path.join(dir, 'gone');
    writeFileSync(file, randomBytes(5_000));
    const seen = statSync(file);
    rmSync(file);
    assert.equal(await readInto(cache, file, seen), undefined);
    assert.equal(cache.memoryBytes, 0);
  });

  it('ranges over a file scattered across the slab are the file’s bytes', async () => {
    const cache = new ImageFileCache(4 * MB);
    await withServer(cache, dir, async (served) => {
      const { url } = served;
      // Every other file dropped (rewritten), then one large file fills the holes: its blocks are not consecutive.
      for (let index = 0; index < 40; index++) writeFileSync(path.join(dir, `filler-${index}`), randomBytes(4096));
      for (let index = 0; index < 40; index++) await readInto(cache, path.join(dir, `filler-${index}`));
      for (let index = 0; index < 40; index += 2) {
        const file = path.join(dir, `filler-${index}`);
        writeFileSync(file, randomBytes(4096 + 1));
        const stats = statSync(file);
        assert.equal(cache.get(file, stats.mtimeMs, stats.size), undefined);
      }
      const content = randomBytes(20 * 4096 + 123);
      writeFileSync(path.join(dir, 'scattered'), content);
      const kept = await readInto(cache, path.join(dir, 'scattered'));
      assert.ok(kept && kept.views.length > 1, 'the file landed in one run: the test does not test scattering');
      for (const [start, end] of [
        [0, content.length - 1],
        [0, 0],
        [4095, 4096],
        [5000, 30_000],
        [content.length - 10, content.length - 1],
      ] as const) {
        const response = await request(`${url}/scattered?start=${start}&end=${end}`);
        assert.equal(response.headers['x-kept'], 'yes');
        assert.deepEqual(Buffer.from(await response.body.arrayBuffer()), content.subarray(start, end + 1), `bytes ${start}-${end}`);
      }
    });
  });

  it('bytes a slow client is still being sent are not given to another file until its answer ends', async () => {
    // 32 MB for bodies: 28 MB of blocks. One 20 MB file being sent leaves no room for a second.
    const cache = new ImageFileCache(32 * MB, 24 * MB);
    await withServer(cache, dir, async (served) => {
      const { url } = served;
      const first = randomBytes(20 * MB);
      const second = randomBytes(20 * MB);
      writeFileSync(path.join(dir, 'first'), first);
      writeFileSync(path.join(dir, 'second'), second);
      // Not read yet: the kernel takes a few MB, the rest waits in the server's queue as views of the slab.
      const slow = await request(`${url}/first`);
      assert.equal(slow.headers['x-kept'], 'yes');
      const meanwhile = await request(`${url}/second`);
      assert.equal(meanwhile.headers['x-kept'], 'no', 'the second file took blocks the first one’s answer was still sending');
      assert.deepEqual(Buffer.from(await meanwhile.body.arrayBuffer()), second);
      assert.deepEqual(Buffer.from(await slow.body.arrayBuffer()), first);
      // The first answer ended: its blocks are free, so the second file is kept now.
      await untilServed(served, () => served.answersClosed === 2, 'both answers to close');
      const later = await request(`${url}/second`);
      assert.equal(later.headers['x-kept'], 'yes');
      assert.deepEqual(Buffer.from(await later.body.arrayBuffer()), second);
    });
  });

  it("a client that goes away mid-answer gives its file's blocks back once the file leaves", async () => {
    const cache = new ImageFileCache(32 * MB, 24 * MB);
    await withServer(cache, dir, async (served) => {
      const { url } = served;
      writeFileSync(path.join(dir, 'left'), randomBytes(20 * MB));
      const second = randomBytes(20 * MB);
      writeFileSync(path.join(dir, 'after'), second);
      const abandoned = await request(`${url}/left`);
      assert.equal(abandoned.headers['x-kept'], 'yes');
      abandoned.body.destroy();
      await untilServed(served, () => served.answersClosed === 1, 'the abandoned answer to close');
      const next = await request(`${url}/after`);
      assert.equal(next.headers['x-kept'], 'yes', 'the abandoned answer still holds its blocks');
      assert.deepEqual(Buffer.from(await next.body.arrayBuffer()), second);
    });
  });

  it('a read that ends after its client left pins nothing', async () => {
    const cache = new ImageFileCache(4 * MB);
    await withServer(cache, dir, async (served) => {
      const { url } = served;
      const file = path.join(dir, 'late');
      writeFileSync(file, randomBytes(50_000));
      const seen = statSync(file);
      (await rawConnection(url, 'GET /late?late=1 HTTP/1.1\r\nHost: x\r\n\r\n')).resetAndDestroy();
      // Read after the connection closed, kept, and handed to the answer in the same turn.
      await untilServed(served, () => served.answered === 1, 'the late read to end');
      assert.ok(cache.get(file, seen.mtimeMs, seen.size), 'the late read kept nothing');
      // The file leaves the index: with no answer writing it, its blocks and entry go back.
      writeFileSync(file, randomBytes(50_001));
      const stats = statSync(file);
      assert.equal(cache.get(file, stats.mtimeMs, stats.size), undefined);
      assert.equal(cache.memoryBytes, 0, 'the late answer still pins its file');
    });
  });

  it('an answer queued behind a pipelined request whose client leaves is unpinned with its connection', async () => {
    const cache = new ImageFileCache(4 * MB);
    await withServer(cache, dir, async (served) => {
      const { url } = served;
      const file = path.join(dir, 'queued');
      writeFileSync(file, randomBytes(50_000));
      const warm = await request(`${url}/queued`);
      await warm.body.dump();
      assert.ok(cache.memoryBytes > 0);
      const pipelined = await rawConnection(url, 'GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /queued HTTP/1.1\r\nHost: x\r\n\r\n');
      // The queued answer is handed the kept file while the held one blocks the connection.
      await untilServed(served, () => served.answered === 2, 'the queued answer to be handed its file');
      pipelined.destroy();
      writeFileSync(file, randomBytes(50_001));
      const stats = statSync(file);
      assert.equal(cache.get(file, stats.mtimeMs, stats.size), undefined);
      await untilServed(served, () => cache.memoryBytes === 0, 'the queued answer to let go of its file');
    });
  });

  it('requests for a file being read wait for that one read', async () => {
    const cache = new ImageFileCache(4 * MB);
    await withServer(cache, dir, async (served) => {
      const { url } = served;
      const content = randomBytes(300_000);
      writeFileSync(path.join(dir, 'wanted'), content);
      const answers = await Promise.all(Array.from({ length: 6 }, () => request(`${url}/wanted`)));
      for (const answer of answers) {
        assert.equal(answer.headers['x-kept'], 'yes');
        assert.deepEqual(Buffer.from(await answer.body.arrayBuffer()), content);
      }
      assert.ok(cache.memoryBytes < 2 * content.length, `${cache.memoryBytes} B kept for one file of ${content.length} B`);
    });
  });

  it('a file that cannot get blocks (answers in flight hold them) evicts nothing', async () => {
    const cache = new ImageFileCache(32 * MB, 24 * MB);
    await withServer(cache, dir, async (served) => {
      const { url } = served;
      writeFileSync(path.join(dir, 'big-held'), randomBytes(20 * MB));
      writeFileSync(path.join(dir, 'big-next'), randomBytes(20 * MB));
      writeFileSync(path.join(dir, 'little'), randomBytes(10_000));
      const little = await request(`${url}/little`);
      await little.body.dump();
      const held = await request(`${url}/big-held`);
      const next = await request(`${url}/big-next`);
      assert.equal(next.headers['x-kept'], 'no');
      await next.body.dump();
      const stats = statSync(path.join(dir, 'little'));
      assert.ok(cache.get(path.join(dir, 'little'), stats.mtimeMs, stats.size), 'a miss that could not be kept emptied the index');
      await held.body.dump();
    });
  });

  it('the largest LIGHTBOX_IMAGE_CACHE_MB allowed makes a slab Node can allocate', () => {
    const largest = loadConfig({ LIGHTBOX_IMAGE_CACHE_MB: '8192' }).images.cacheBytes;
    const cache = new ImageFileCache(shareImageMemory(largest).bodyBytes);
    assert.ok(cache.keeps(4 * MB));
  });

  it('keeps nothing when its share of the configured memory is none', async () => {
    const cache = new ImageFileCache(0);
    const file = path.join(dir, 'small-1');
    assert.equal(cache.keeps(1), false);
    assert.equal(await readInto(cache, file), undefined);
  });
});
