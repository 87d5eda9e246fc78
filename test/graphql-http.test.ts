import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { auditServer } from 'graphql-http';
import { FormData, request } from 'undici';
import { MAX_GRAPHQL_IN_FLIGHT } from '../src/http/graphql-route.ts';
import { spawnServer } from './helpers/cli.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await request(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: (await response.body.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] },
  };
}

describe('GraphQL over HTTP', () => {
  let server: TestServer;

  before(async () => {
    // Debug: the in-flight test waits on each request's "graphql request started" line.
    server = await startTestServer({ LOG_LEVEL: 'debug' });
  });

  after(() => server.close());

  it('bounds GraphQL bodies: over 1 MB is 413 unread, no Content-Length is 411; a flood leaves the memory where it was', async (t) => {
    const dataDir = await makeTempDir();
    const { child, url, exited } = await spawnServer(dataDir, { LOG_LEVEL: 'warn' });
    try {
      const peakRss = async () => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
      const query = '{ photos(first: 1) { totalCount } }';
      const small = await request(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      await small.body.dump();
      assert.equal(small.statusCode, 200);
      const before = await peakRss();
      const huge = Buffer.from(JSON.stringify({ query, variables: { pad: 'x'.repeat(23 * 1024 * 1024) } }));
      const statuses = await Promise.all(
        Array.from({ length: 16 }, async () => {
          const response = await request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: huge });
          const body = (await response.body.json()) as { errors?: { extensions?: { code?: string } }[] };
          return `${response.statusCode} ${body.errors?.[0]?.extensions?.code}`;
        }),
      );
      assert.deepEqual([...new Set(statuses)], ['413 BODY_TOO_LARGE']);
      const after = await peakRss();
      t.diagnostic(`server peak RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after 16 parallel 23 MB POSTs`);
      // Before the limit, the same flood took the server from ~200 MB to ~600 MB.
      assert.ok(after - before < 64, `peak RSS grew by ${(after - before).toFixed(0)} MB`);

      const chunked = await request(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Readable.from([Buffer.from(JSON.stringify({ query }))]),
      });
      const chunkedBody = (await chunked.body.json()) as { errors?: { extensions?: { code?: string } }[] };
      assert.equal(chunked.statusCode, 411);
      assert.equal(chunkedBody.errors?.[0]?.extensions?.code, 'LENGTH_REQUIRED');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('CORS: none by default; listed origins only, without credentials unless asked; Vary: Origin kept', async () => {
    const query = `/graphql?query=${encodeURIComponent('{ photos(first: 1) { totalCount } }')}`;
    const call = async (base: string, origin?: string, method: 'GET' | 'OPTIONS' = 'GET') => {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (origin) headers.origin = origin;
      if (method === 'OPTIONS')
        Object.assign(headers, { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' });
      const response = await request(`${base}${query}`, { method, headers });
      await response.body.dump();
      return response.headers;
    };
    const evil = await call(server.url, 'https://evil.example');
    assert.equal(evil['access-control-allow-origin'], undefined, 'no origin is allowed by default');
    assert.equal(evil['access-control-allow-credentials'], undefined);
    assert.equal((await call(server.url, 'https://evil.example', 'OPTIONS'))['access-control-allow-origin'], undefined);

    const open = await startTestServer({ LIGHTBOX_CORS_ORIGINS: 'https://app.example, https://admin.example' });
    const trusting = await startTestServer({ LIGHTBOX_CORS_ORIGINS: 'https://app.example', LIGHTBOX_CORS_CREDENTIALS: 'true' });
    try {
      const app = await call(open.url, 'https://app.example');
      assert.equal(app['access-control-allow-origin'], 'https://app.example');
      assert.equal(app['access-control-allow-credentials'], undefined, 'no credentials unless asked');
      assert.match(String(app.vary), /\bOrigin\b/);
      assert.match(String(app.vary), /\bAuthorization\b/, "the response cache's Vary is kept beside it");
      const preflight = await call(open.url, 'https://admin.example', 'OPTIONS');
      assert.equal(preflight['access-control-allow-origin'], 'https://admin.example');
      assert.match(String(preflight['access-control-allow-headers']), /authorization/);
      for (const origin of ['https://evil.example', undefined]) {
        const other = await call(open.url, origin);
        assert.equal(other['access-control-allow-origin'], undefined, String(origin));
        assert.match(String(other.vary), /\bOrigin\b/, `Vary: Origin on the answer to ${String(origin)} too`);
      }
      assert.equal((await call(trusting.url, 'https://app.example'))['access-control-allow-credentials'], 'true');
    } finally {
      await open.close();
      await trusting.close();
    }
  });

  it('accepts Apollo-Require-Preflight as a CSRF preflight header', async () => {
    const response = await request(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'apollo-require-preflight': 'true', accept: 'application/json' },
      body: JSON.stringify({ query: '{ photos(first: 1) { totalCount } }' }),
    });
    const body = await response.body.text();
    assert.doesNotMatch(body, /CSRF_PREVENTED/);
  });

  it('refuses documents nested deeper than any query could be, before parsing: 400 and no stack', async () => {
    const attacks = [
      `{ ${'a{'.repeat(3000)}b${'}'.repeat(3000)} }`,
      `{ photos(filter: { status: ${'['.repeat(20_000)}${']'.repeat(20_000)} }) { totalCount } }`,
      `{ photos(filter: ${'{ a: '.repeat(5000)}1${' }'.repeat(5000)}) { totalCount } }`,
    ];
    for (const query of attacks) {
      const response = await post(server.url, { query });
      assert.equal(response.status, 400, query.slice(0, 40));
      assert.equal(response.body.errors?.[0]?.extensions?.code, 'QUERY_TOO_NESTED');
    }
    // Brackets inside strings and comments are not structure; a real query passes.
    const quoted = await post(server.url, {
      query: `# ${'{'.repeat(100)}\n{ photos(first: 1, filter: { cameraMake: "${'['.repeat(100)}" }) { totalCount } }`,
    });
    assert.equal(quoted.status, 200, JSON.stringify(quoted.body));
    assert.deepEqual(
      server.logs.filter((line) => line.level >= 50),
      [],
      'nothing logged at error level',
    );
  });

  it('passes the graphql-http audit with every plugin on: no error, no warning', async () => {
    const results = await auditServer({ url: `${server.url}/graphql` });
    const problems = results
      .filter((result) => result.status !== 'ok')
      .map((result) => `${result.status}: ${result.name}${'reason' in result ? ` — ${result.reason}` : ''}`);
    assert.deepEqual(problems, []);
    assert.ok(results.length >= 50, `ran ${results.length} checks`);
  });

  it('refuses page sizes over the cap with an error, not a silent clamp', async () => {
    const literal = await post(server.url, { query: '{ photos(first: 101) { totalCount } }' });
    assert.equal(literal.body.errors?.[0]?.extensions?.code, 'PAGE_SIZE_LIMIT');
    assert.match(literal.body.errors?.[0]?.message ?? '', /0 to 100/);
    // Twice within limits first: a document already accepted (and run without Yoga) is still checked per request.
    const byVariable = 'query($n: Int) { albums(first: 10) { nodes { photos(last: $n) { totalCount } } } }';
    for (const n of [5, 4]) assert.equal((await post(server.url, { query: byVariable, variables: { n } })).body.errors, undefined);
    const variable = await post(server.url, { query: byVariable, variables: { n: 5000 } });
    assert.equal(variable.body.errors?.[0]?.extensions?.code, 'PAGE_SIZE_LIMIT');
    // A variable's default is what execution sees when it is not sent.
    const byDefault = 'query($n: Int = 500) { photos(first: $n) { totalCount } }';
    for (let i = 0; i < 2; i++) {
      const defaulted = await post(server.url, { query: byDefault });
      assert.equal(defaulted.body.errors?.[0]?.extensions?.code, 'PAGE_SIZE_LIMIT', JSON.stringify(defaulted.body));
    }
    assert.equal((await post(server.url, { query: byDefault, variables: { n: 50 } })).body.errors, undefined);
    const negative = await post(server.url, { query: '{ photos(first: -1) { totalCount } }' });
    assert.equal(negative.body.errors?.[0]?.extensions?.code, 'PAGE_SIZE_LIMIT');
    const fine = await post(server.url, { query: '{ photos(first: 100) { totalCount } }' });
    assert.equal(fine.body.errors, undefined);
  });

  it('limits depth, aliases, tokens and cost with clear errors', async () => {
    const deep = await post(server.url, {
      query:
        '{ albums { nodes { photos { nodes { albums { photos { nodes { albums { photos { nodes { albums { title } } } } } } } } } } } }',
    });
    assert.match(deep.body.errors?.[0]?.message ?? '', /depth/i);
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: photos(first: 1) { totalCount }`).join(' ');
    const aliased = await post(server.url, { query: `{ ${aliases} }` });
    assert.match(aliased.body.errors?.[0]?.message ?? '', /alias/i);
    const tokens = await post(server.url, { query: `{ ${'photos(first: 1) { totalCount } '.repeat(600)} }` });
    assert.match(tokens.body.errors?.[0]?.message ?? '', /token/i);
    const page =
      'albums(first: 20) { nodes { cover { id image(variant: THUMB) { url } } photos(first: 12) { nodes { id title width height placeholder { hash dominantColor } image(variant: THUMB) { url width height } srcSet } } } }';
    const wide = ['a', 'b', 'c'].map((alias) => `${alias}: ${page}`).join(' ');
    const costly = await post(server.url, { query: `{ ${wide} }` });
    assert.match(costly.body.errors?.[0]?.message ?? '', /cost/i);
    // Each has its code, and numbers a person can read: whole, with thousands separators.
    const codes = [deep, aliased, tokens, costly].map((response) => response.body.errors?.[0]?.extensions?.code);
    assert.deepEqual(codes, ['QUERY_TOO_DEEP', 'TOO_MANY_ALIASES', 'TOO_MANY_TOKENS', 'QUERY_TOO_COSTLY']);
    const costError = costly.body.errors?.[0];
    assert.match(costError?.message ?? '', /^The query's estimated cost is \d{1,3}(,\d{3})+, over the limit of \d{1,3}(,\d{3})*: /);
    assert.ok(Number.isInteger(costError?.extensions?.found) && Number(costError?.extensions?.found) > Number(costError?.extensions?.max));
    for (const response of [deep, aliased, tokens, costly]) {
      assert.equal(response.body.data ?? null, null);
      assert.doesNotMatch(JSON.stringify(response.body), /at \w+ \(|SELECT|\.ts:/, 'no stack trace or SQL in a response');
    }
  });

  it('never answers bad ids, cursors or enum values with a 500, a stack trace or SQL', async () => {
    const cases = [
      '{ photo(id: "bm9wZQ==") { title } }',
      '{ photo(id: "QWxidW06YWJj") { title } }',
      '{ node(id: "!!!") { id } }',
      '{ photos(first: 2, after: "Zm9yZ2Vk") { totalCount } }',
      '{ photos(first: 2, after: "REM6VDpbIk46OTk5OTk5Il0=") { totalCount } }',
      '{ photos(orderBy: SIDEWAYS) { totalCount } }',
      `{ photos(filter: { cameraMake: "${'x'.repeat(10000)}" }) { totalCount } }`,
    ];
    for (const query of cases) {
      const response = await post(server.url, { query });
      assert.ok(response.status < 500, `${query.slice(0, 40)} → ${response.status}`);
      const text = JSON.stringify(response.body);
      assert.doesNotMatch(text, /\s+at \S+ \(|SELECT |sqlite|\.ts:\d+/i, text);
    }
  });

  it('hides field suggestions from anonymous callers in production, not from the admin', async () => {
    const production = await startTestServer({ NODE_ENV: 'production' });
    try {
      const anonymous = await post(production.url, { query: '{ photos { totalCont } }' });
      assert.doesNotMatch(anonymous.body.errors?.[0]?.message ?? '', /Did you mean/);
      const admin = await post(production.url, { query: '{ photos { totalCont } }' }, production.admin);
      assert.match(admin.body.errors?.[0]?.message ?? '', /Did you mean "totalCount"/);
    } finally {
      await production.close();
    }
  });

  it('introspection and GraphiQL can be switched off', async () => {
    const closed = await startTestServer({ LIGHTBOX_INTROSPECTION: 'false', LIGHTBOX_GRAPHIQL: 'false' });
    try {
      const introspection = await post(closed.url, { query: '{ __schema { types { name } } }' });
      assert.match(introspection.body.errors?.[0]?.message ?? '', /introspection/i);
      const page = await request(`${closed.url}/graphql`, { headers: { accept: 'text/html' } });
      const html = await page.body.text();
      assert.doesNotMatch(html, /graphiql/i);
      const open = await post(server.url, { query: '{ __schema { queryType { name } } }' });
      assert.deepEqual(open.body.data, { __schema: { queryType: { name: 'Query' } } });
    } finally {
      await closed.close();
    }
  });

  it('refuses forgeable POSTs without a preflight header, keeps plain GET queries plain', async () => {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: '{ photos { totalCount } }' }));
    form.set('map', '{}');
    const forged = await request(`${server.url}/graphql`, { method: 'POST', body: form });
    assert.equal(forged.statusCode, 403);
    assert.match(await forged.body.text(), /CSRF_PREVENTED/);
    // With the header it gets past CSRF; multipart is for uploads, which need the admin token.
    const withHeader = await request(`${server.url}/graphql`, { method: 'POST', body: form, headers: { 'graphql-preflight': '1' } });
    assert.equal(withHeader.statusCode, 403);
    assert.match(await withHeader.body.text(), /"FORBIDDEN"/);
    const text = await request(`${server.url}/graphql`, {
      method: 'POST',
      body: '{"query":"{ photos { totalCount } }"}',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.statusCode, 403);
    await text.body.dump();
    const get = await request(`${server.url}/graphql?query=${encodeURIComponent('{ photos { totalCount } }')}`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(get.statusCode, 200);
    assert.deepEqual(await get.body.json(), { data: { photos: { totalCount: 0 } } });
  });
});

describe('GraphQL requests in flight', () => {
  let server: TestServer;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  before(async () => {
    // Every JSON POST waits here once it holds its slot, until the test lets them all go.
    server = await startTestServer({ LOG_LEVEL: 'debug' }, { holdInFlight: () => held });
  });
  after(() => server.close());

  it('past 128 GraphQL requests in progress the answer is 503 with Retry-After, and the held ones still finish', async () => {
    const startedBefore = server.logs.filter((line) => line.msg === 'graphql request started').length;
    const holding = Array.from({ length: MAX_GRAPHQL_IN_FLIGHT }, () => post(server.url, { query: '{ photos(first: 1) { totalCount } }' }));
    // Every held request has been admitted (each logs its start) before the next one is sent.
    await server.logged('graphql request started', startedBefore + MAX_GRAPHQL_IN_FLIGHT);
    const busy = await post(server.url, { query: '{ photos(first: 1) { totalCount } }' });
    assert.equal(busy.status, 503);
    assert.equal(busy.headers['retry-after'], '1');
    assert.equal(busy.body.errors?.[0]?.extensions?.code, 'SERVER_BUSY');
    release();
    assert.deepEqual([...new Set((await Promise.all(holding)).map((answer) => answer.status))], [200]);
    assert.equal((await post(server.url, { query: '{ photos(first: 1) { totalCount } }' })).status, 200, 'and new ones are admitted again');
  });
});
