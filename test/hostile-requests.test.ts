import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FormData, request } from 'undici';
import { MAX_DOCUMENT_MEMORY_BYTES } from '../src/graphql/document-memory.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function answer(response: Awaited<ReturnType<typeof request>>): Promise<Answer> {
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: text === '' ? {} : JSON.parse(text) };
}

function post(server: TestServer, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return request(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  }).then(answer);
}

function codeOf(result: Answer): string | undefined {
  return result.body.errors?.[0]?.extensions?.code;
}

async function assertAlive(server: TestServer): Promise<void> {
  const health = await request(`${server.url}/healthz`);
  await health.body.text();
  assert.equal(health.statusCode, 200, 'the server still answers');
  const typename = await post(server, JSON.stringify({ query: '{ __typename }' }));
  assert.deepEqual(typename.body.data, { __typename: 'Query' });
}

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('deeply nested JSON is refused before anything walks it, the same way on every path', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('a POST body with 6,000 levels of arrays in its variables: 400 JSON_TOO_NESTED, anonymous and admin, and the server lives', async () => {
    const body = `{"query":"{__typename}","variables":{"a":${nested(6000)}}}`;
    const callers: Record<string, string>[] = [{}, server.admin, { 'content-type': 'application/graphql+json' }];
    for (const headers of callers) {
      const result = await post(server, body, headers);
      assert.equal(result.status, 400, JSON.stringify(headers));
      assert.equal(codeOf(result), 'JSON_TOO_NESTED', JSON.stringify(headers));
    }
    const extensions = await post(server, `{"query":"{__typename}","extensions":{"a":${nested(6000)}}}`);
    assert.equal(codeOf(extensions), 'JSON_TOO_NESTED');
    await assertAlive(server);
  });

  it('a GET with nested variables or extensions gets the same 400', async () => {
    for (const name of ['variables', 'extensions']) {
      const url = `${server.url}/graphql?query=${encodeURIComponent('{__typename}')}&${name}=${encodeURIComponent(`{"a":${nested(1500)}}`)}`;
      const result = await answer(await request(url, { headers: { accept: 'application/json' } }));
      assert.equal(result.status, 400, name);
      assert.equal(codeOf(result), 'JSON_TOO_NESTED', name);
    }
    await assertAlive(server);
  });

  it('a multipart operations field with 20,000 levels gets the same 400', async () => {
    const form = new FormData();
    form.set('operations', `{"query":"mutation { __typename }","variables":{"a":${nested(20_000)}}}`);
    form.set('map', '{}');
    const result = await answer(
      await request(`${server.url}/graphql`, { method: 'POST', headers: { ...server.admin, 'graphql-preflight': '1' }, body: form }),
    );
    assert.equal(result.status, 400);
    assert.equal(codeOf(result), 'JSON_TOO_NESTED');
    await assertAlive(server);
  });

  it('variables nested as deep as any input needs still run', async () => {
    const result = await post(server, JSON.stringify({ query: '{ __typename }', variables: { a: JSON.parse(nested(30)) } }));
    assert.deepEqual(result.body.data, { __typename: 'Query' });
  });
});

describe('big documents are refused before parsing, and nothing of them is kept', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ LIGHTBOX_MAX_DOCUMENT_KB: '8' });
  });
  after(() => server.close());

  it('a valid document over LIGHTBOX_MAX_DOCUMENT_KB (a comment makes it so): 413 DOCUMENT_TOO_LARGE, for GET and POST', async () => {
    const query = `# ${'x'.repeat(9 * 1024)}\n{ __typename }`;
    const posted = await post(server, JSON.stringify({ query }));
    assert.equal(posted.status, 413);
    assert.equal(codeOf(posted), 'DOCUMENT_TOO_LARGE');
    const got = await answer(
      await request(`${server.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' } }),
    );
    assert.equal(got.status, 413);
    assert.equal(codeOf(got), 'DOCUMENT_TOO_LARGE');
    const fits = await post(server, JSON.stringify({ query: `# ${'x'.repeat(7 * 1024)}\n{ __typename }` }));
    assert.deepEqual(fits.body.data, { __typename: 'Query' });
  });

  it('a persisted query is registered only once it parses and passes the limits', async () => {
    const sha256Hash = (text: string) => createHash('sha256').update(text).digest('hex');
    const byHashAlone = (hash: string) =>
      post(server, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })).then(codeOf);
    const refused = [
      'junk that is no GraphQL at all {{{',
      `# ${'x'.repeat(9 * 1024)}\n{ __typename }`,
      `{ ${Array.from({ length: 40 }, (_, k) => `a${k}: albums(first: 1) { totalCount }`).join(' ')} }`,
    ];
    for (const query of refused) {
      const hash = sha256Hash(query);
      const sent = await post(server, JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }));
      assert.ok((sent.body.errors?.length ?? 0) > 0, `refused: ${query.slice(0, 30)}`);
      assert.equal(await byHashAlone(hash), 'PERSISTED_QUERY_NOT_FOUND', `not kept: ${query.slice(0, 30)}`);
    }
    const good = '{ kept: __typename }';
    await post(server, JSON.stringify({ query: good, extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hash(good) } } }));
    const byHash = await post(server, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hash(good) } } }));
    assert.deepEqual(byHash.body.data, { kept: 'Query' });
  });
});

describe('distinct documents do not grow memory past the bound', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('1,200 distinct documents, each with many aliases, each sent twice: the heap after GC plateaus', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Twice each: the second is answered from what the first left (compiled, accepted for the direct path).
    const document = (i: number) =>
      `query Distinct${i} { ${Array.from({ length: 6 }, (_, k) => `a${i}_${k}: albums(first: ${1 + k}) { totalCount edges { node { id title description createdAt photoCount } } }`).join(' ')} }`;
    const send = async (i: number) => {
      const body = JSON.stringify({ query: document(i) });
      for (let round = 0; round < 2; round++) {
        const result = await post(server, body);
        assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
      }
    };
    const sendRange = async (from: number, to: number) => {
      for (let i = from; i < to; i += 4) await Promise.all([send(i), send(i + 1), send(i + 2), send(i + 3)]);
    };
    await sendRange(0, 400);
    gc();
    const warmed = process.memoryUsage().heapUsed;
    await sendRange(400, 1200);
    gc();
    const grown = process.memoryUsage().heapUsed - warmed;
    // The document memory's own bound, with room for the estimate and the collector's slack: not 800 documents' worth of growth.
    assert.ok(grown < MAX_DOCUMENT_MEMORY_BYTES, `heap grew ${(grown / 1e6).toFixed(1)} MB over 800 more distinct documents`);
    await assertAlive(server);
  });
});

describe('slow bodies cannot lock GraphQL out', () => {
  let server: TestServer;
  const sockets: Socket[] = [];
  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'debug' }, { bodyDeadlines: { idleMs: 400, totalMs: 1500 } });
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await server.close();
  });

  /** A client that announces a 1 MB body and sends a byte now and then. */
  function drip(): Promise<string> {
    const { port } = new URL(server.url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      sockets.push(socket);
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(received));
      socket.on('error', () => undefined);
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n{`,
      );
      const timer = setInterval(() => (socket.writable ? socket.write(' ') : clearInterval(timer)), 300);
      socket.on('close', () => clearInterval(timer));
    });
  }

  it('while 150 clients drip their bodies, others are answered; each dripper gets 408 BODY_TIMEOUT and its connection closed', async () => {
    const arriving = server.logs.filter((line) => line.msg === 'graphql request body arriving').length;
    const drippers = Array.from({ length: 150 }, () => drip());
    // Every dripper's body has begun to arrive before the real request is sent.
    await server.logged('graphql request body arriving', arriving + 150);
    const meanwhile = await post(server, JSON.stringify({ query: '{ __typename }' }));
    assert.equal(meanwhile.status, 200, JSON.stringify(meanwhile.body));
    const answers = await Promise.all(drippers);
    for (const received of answers) {
      assert.match(received, /^HTTP\/1\.1 408 /);
      assert.match(received, /"code":"BODY_TIMEOUT"/);
    }
    await assertAlive(server);
  });
});

describe('every GraphQL answer says how it may be kept and sniffed', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('POST answers, the admin’s included, are private, no-store; JSON and /healthz carry nosniff', async () => {
    const body = JSON.stringify({ query: '{ albums(first: 1) { totalCount } }' });
    // Thrice each: Yoga, then the direct path, then (anonymous) the stored answer.
    for (const headers of [{}, server.admin]) {
      for (let round = 0; round < 3; round++) {
        const result = await post(server, body, headers);
        assert.equal(result.status, 200);
        assert.equal(result.headers['cache-control'], 'private, no-store', `round ${round}, ${JSON.stringify(headers)}`);
        assert.equal(result.headers['x-content-type-options'], 'nosniff', `round ${round}`);
      }
    }
    const refused = await post(
      server,
      '{"query":"{__typename}","variables":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}',
    );
    assert.equal(refused.headers['x-content-type-options'], 'nosniff');
    const got = await request(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json' },
    });
    await got.body.text();
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    const health = await request(`${server.url}/healthz`);
    await health.body.text();
    assert.equal(health.headers['x-content-type-options'], 'nosniff');
  });
});
