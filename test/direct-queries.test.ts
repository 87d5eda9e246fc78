import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { fromResponseCache } from './helpers/graphql.ts';
import { importIntoDataDir } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post(server: TestServer, payload: unknown, headers: Record<string, string | undefined> = {}): Promise<Answer> {
  const sent = Object.fromEntries(
    Object.entries({ 'content-type': 'application/json', ...headers }).filter(([, value]) => value !== undefined),
  );
  const response = await request(`${server.url}/graphql`, {
    method: 'POST',
    headers: sent as Record<string, string>,
    body: JSON.stringify(payload),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, body: JSON.parse(text) as Answer['body'] };
}

/** A field of a response's data, which must be there. */
function field<T>(answer: Answer, name: string): T {
  assert.ok(answer.body.data?.[name] !== undefined, `${name} in ${answer.text}`);
  return answer.body.data?.[name] as T;
}

type LogLine = { msg: string; answered?: string; status?: number };
const requestLines = (server: TestServer) => (server.logs as LogLine[]).filter((line) => line.msg === 'graphql request');

/** How the last request was answered: 'direct', 'stored', or by Yoga (no mark). */
async function answeredBy(server: TestServer, send: () => Promise<Answer>): Promise<{ answer: Answer; by: string }> {
  const before = requestLines(server).length;
  const answer = await send();
  await server.logged('graphql request', before + 1);
  return { answer, by: requestLines(server)[before]?.answered ?? 'yoga' };
}

const PAGE = `query DirectPage($first: Int!) {
  albums(first: 5) { totalCount nodes { id title photos(first: $first) { nodes { id width height image(variant: THUMB) { url } } } } }
}`;

describe('query POSTs executed without Yoga once Yoga has accepted their document', () => {
  let server: TestServer;
  let albumId = '';

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'info' });
    assert.equal(
      (await importIntoDataDir(server.dataDir, path.join(FIXTURE_PHOTOS, 'gps'), { album: 'Trip', public: true })).failed.length,
      0,
    );
    assert.equal((await importIntoDataDir(server.dataDir, path.join(FIXTURE_PHOTOS, 'cameras'), { album: 'Private' })).failed.length, 0);
    const albums = await post(server, { query: '{ albums(first: 5) { nodes { id title } } }' }, server.admin);
    albumId = field<{ nodes: { id: string; title: string }[] }>(albums, 'albums').nodes.find((album) => album.title === 'Private')
      ?.id as string;
    assert.ok(albumId);
  });

  after(() => server.close());

  it('answers the same bytes and headers as Yoga, for the admin and anonymous callers, for each JSON type', async () => {
    let nonce = 0;
    for (const caller of [{}, server.admin]) {
      for (const accept of ['application/graphql-response+json', 'application/json', undefined]) {
        const headers = { ...caller, accept };
        // A document of its own per case: the first answer is Yoga's, the second the direct path's.
        const query = `${PAGE}\n# ${accept ?? 'no accept'} ${'authorization' in caller ? 'admin' : 'anonymous'}`;
        // Variables the query ignores, new each time, so an anonymous repeat is not a response-cache hit.
        const yoga = await answeredBy(server, () => post(server, { query, variables: { first: 3, nonce: nonce++ } }, headers));
        const direct = await answeredBy(server, () => post(server, { query, variables: { first: 3, nonce: nonce++ } }, headers));
        const label = `${accept ?? 'no Accept'}, ${'authorization' in caller ? 'admin' : 'anonymous'}`;
        assert.equal(yoga.by, 'yoga', label);
        assert.equal(direct.by, 'direct', label);
        assert.equal(direct.answer.status, 200, label);
        assert.equal(direct.answer.text, yoga.answer.text, `${label}: the same bytes`);
        assert.ok((field<{ totalCount: number }>(direct.answer, 'albums').totalCount ?? 0) > 0, label);
        for (const name of ['content-type', 'content-length', 'cache-control', 'vary', 'etag', 'last-modified'])
          assert.equal(direct.answer.headers[name], yoga.answer.headers[name], `${label}: ${name}`);
        // The tally's values differ (the second reads remembered rows), its form may not.
        const timing = /^sql;desc="\d+";dur=\d+\.\d\d(, remembered;desc="\d+")?$/;
        for (const answer of [yoga.answer, direct.answer])
          assert.match(String(answer.headers['server-timing']), timing, `${label}: Server-Timing`);
      }
    }
  });

  it("keeps the private album out of an anonymous caller's direct answer, and the admin's in theirs", async () => {
    const query = '{ albums(first: 10) { nodes { title } } }';
    const titles = (answer: Answer) =>
      field<{ nodes: { title: string }[] }>(answer, 'albums')
        .nodes.map((album) => album.title)
        .sort();
    await post(server, { query }, server.admin);
    const admin = await answeredBy(server, () => post(server, { query, variables: { v: 1 } }, server.admin));
    const anonymous = await answeredBy(server, () => post(server, { query, variables: { v: 2 } }));
    assert.deepEqual([admin.by, anonymous.by], ['direct', 'direct']);
    assert.deepEqual(titles(admin.answer), ['Private', 'Trip']);
    assert.deepEqual(titles(anonymous.answer), ['Trip']);
  });

  it("takes Apollo Client 4's requests, whose extensions name the client library (nothing Lightbox reads)", async () => {
    const query = `${PAGE}\n# apollo`;
    const extensions = { clientLibrary: { name: '@apollo/client', version: '4.0.0' } };
    await post(server, { query, variables: { first: 2 }, extensions });
    const direct = await answeredBy(server, () => post(server, { query, variables: { first: 1 }, extensions }));
    assert.equal(direct.by, 'direct');
    const again = await answeredBy(server, () => post(server, { query, variables: { first: 1 }, extensions }));
    assert.equal(again.by, 'stored');
    assert.equal(again.answer.text, direct.answer.text);
  });

  it('keeps an anonymous direct answer in the response cache: the same POST again is a hit', async () => {
    const query = `${PAGE}\n# cached`;
    await post(server, { query, variables: { first: 2 } });
    const direct = await answeredBy(server, () => post(server, { query, variables: { first: 1 } }));
    assert.equal(direct.by, 'direct');
    const again = await answeredBy(server, () => post(server, { query, variables: { first: 1 } }));
    assert.equal(again.by, 'stored');
    assert.ok(fromResponseCache(again.answer.headers));
    assert.equal(again.answer.text, direct.answer.text);
  });

  it('leaves to Yoga what only Yoga answers: refused callers, limits, mutations, persisted queries, other parameters', async () => {
    const query = '{ albums(first: 2) { totalCount } }';
    await post(server, { query });
    const yogaFor = async (payload: unknown, headers: Record<string, string> = {}) => {
      const { answer, by } = await answeredBy(server, () => post(server, payload, headers));
      assert.equal(by, 'yoga', JSON.stringify(payload));
      return answer;
    };
    const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

    const badId = '{ photo(id: "nope") { id } }';
    const first = await yogaFor({ query: badId });
    const { answer: second, by } = await answeredBy(server, () => post(server, { query: badId }));
    assert.equal(by, 'direct', 'a result with errors is answered where it was executed, not executed again');
    assert.equal(codeOf(second), 'INVALID_ID');
    assert.equal(second.text, first.text, 'and its errors are reported as Yoga reports them, byte for byte');
    assert.equal(second.status, first.status);

    assert.equal((await yogaFor({ query }, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal(codeOf(await yogaFor({ query }, { 'x-lightbox-share': 'no-such-link' })), 'SHARE_LINK_NOT_FOUND');

    const sized = 'query($n: Int) { photos(first: $n) { totalCount } }';
    await post(server, { query: sized, variables: { n: 1 } });
    assert.equal(codeOf(await yogaFor({ query: sized, variables: { n: 101 } })), 'PAGE_SIZE_LIMIT');
    assert.ok((await yogaFor({ query: sized, variables: { n: 'many' } })).body.errors?.length, 'a variable of the wrong type');

    const rename = 'mutation($input: UpdateAlbumInput!) { updateAlbum(input: $input) { __typename } }';
    for (const title of ['Renamed once', 'Renamed twice'])
      await yogaFor({ query: rename, variables: { input: { id: albumId, title } } }, server.admin);
    // A document Yoga accepted for its query: its mutation, named, is still Yoga's.
    const both = 'query A { albums(first: 1) { totalCount } } mutation B { __typename }';
    await yogaFor({ query: both, operationName: 'A' }, server.admin);
    assert.equal((await answeredBy(server, () => post(server, { query: both, operationName: 'A' }, server.admin))).by, 'direct');
    await yogaFor({ query: both, operationName: 'B' }, server.admin);
    // A name the document lacks: Yoga's error, whatever name is made up.
    for (const operationName of ['Nope', 'Nope2']) {
      const unknown = await yogaFor({ query: both, operationName }, server.admin);
      assert.equal(unknown.status, 400, unknown.text);
    }

    assert.equal(
      codeOf(await yogaFor({ query, extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } })),
      'PERSISTED_QUERY_MISMATCH',
    );
    assert.equal((await yogaFor({ query, operationName: 7 })).status, 400);
    assert.equal((await yogaFor({ query, variables: [1] })).status, 400);
    assert.equal((await yogaFor({ query, extensions: 'clientLibrary' })).status, 400);
    // Registered by APQ and stored: a hash of another protocol version is refused, not answered from the store.
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    await post(server, { query, extensions: { persistedQuery: { version: 1, sha256Hash } } });
    assert.equal(
      (await answeredBy(server, () => post(server, { extensions: { persistedQuery: { version: 1, sha256Hash } } }))).by,
      'stored',
    );
    assert.equal(codeOf(await yogaFor({ extensions: { persistedQuery: { version: 2, sha256Hash } } })), 'PERSISTED_QUERY_NOT_SUPPORTED');
  });

  it("counts a share link's use once per request, whichever path executes it", async () => {
    const created = await post(
      server,
      {
        query:
          'mutation($input: CreateShareLinkInput!) { createShareLink(input: $input) { ... on ShareLinkPayload { shareLink { id url } } } }',
        variables: { input: { albumId } },
      },
      server.admin,
    );
    const link = field<{ shareLink: { id: string; url: string } }>(created, 'createShareLink').shareLink;
    const share = { 'x-lightbox-share': link.url.slice('/s/'.length) };
    const titles = '{ albums(first: 5) { nodes { title } } }';
    const paths: string[] = [];
    for (const query of [titles, titles, '{ photo(id: "gone") { id } }', '{ photo(id: "gone") { id } }']) {
      const { answer, by } = await answeredBy(server, () => post(server, { query }, share));
      paths.push(by);
      assert.equal(answer.status, 200);
    }
    assert.deepEqual(paths, ['yoga', 'direct', 'yoga', 'direct']);
    const listed = await post(server, { query: '{ shareLinks(first: 5) { nodes { id viewCount } } }' }, server.admin);
    const counted = field<{ nodes: { id: string; viewCount: number }[] }>(listed, 'shareLinks').nodes.find((node) => node.id === link.id);
    assert.equal(counted?.viewCount, 4);
  });

  it('with CORS on, a direct answer carries the CORS headers and Vary: Origin a Yoga answer does', async () => {
    const open = await startTestServer({ LOG_LEVEL: 'info', LIGHTBOX_CORS_ORIGINS: 'https://app.example' });
    try {
      const query = '{ albums(first: 1) { totalCount } }';
      const cors = (answer: Answer) =>
        Object.fromEntries(Object.entries(answer.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));
      const { answer: byYoga, by: first } = await answeredBy(open, () =>
        post(open, { query }, { ...open.admin, origin: 'https://app.example' }),
      );
      const { answer: direct, by: second } = await answeredBy(open, () =>
        post(open, { query }, { ...open.admin, origin: 'https://app.example' }),
      );
      assert.deepEqual([first, second], ['yoga', 'direct']);
      assert.equal(direct.headers['access-control-allow-origin'], 'https://app.example');
      assert.deepEqual(cors(direct), cors(byYoga));
      assert.equal(direct.text, byYoga.text);
      const { answer: other } = await answeredBy(open, () => post(open, { query }, { ...open.admin, origin: 'https://evil.example' }));
      assert.equal(other.headers['access-control-allow-origin'], undefined, 'an origin not listed gets none');
      assert.match(String(other.headers.vary), /\bOrigin\b/);
    } finally {
      await open.close();
    }
  });
});
