import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse, validate } from 'graphql';
import { request } from 'undici';
import { schema } from '../src/graphql/schema.ts';
import { LIBRARY_DOCUMENTS } from '../src/http/library/documents.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const ASSET = /(?:src|href)="(\/library\/assets\/[^"?]+)\?v=([^"]+)"/g;

describe("the owner's app page (/library) and its assets", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ LIGHTBOX_PUBLIC_URL: 'https://photos.example.test/' });
  });

  after(() => server?.close());

  const get = (pathname: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET') =>
    request(`${server.url}${pathname}`, { method, headers });

  it('answers every /library path with one page that holds nothing private, under a strict CSP, with no cookie', async () => {
    const bodies = new Set<string>();
    for (const pathname of ['/library', '/library/', '/library/albums', '/library/photos/UGhvdG86eA', '/library/no/such/view']) {
      const response = await get(pathname, { authorization: server.admin.authorization });
      assert.equal(response.statusCode, 200, pathname);
      const csp = String(response.headers['content-security-policy']);
      for (const rule of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "img-src 'self'", "frame-ancestors 'none'"]) {
        assert.ok(csp.includes(rule), `${pathname}: ${rule}`);
      }
      assert.equal(response.headers['set-cookie'], undefined);
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
      assert.equal(response.headers['cache-control'], 'no-cache');
      bodies.add(await response.body.text());
    }
    assert.equal(bodies.size, 1, 'the same page whoever asks (the admin header changes nothing)');
    const [html] = [...bodies] as [string];
    assert.ok(!html.includes(server.admin.authorization.slice('Bearer '.length)), 'no token in the page');
    // No inline script: every script is a file, or inert JSON.
    for (const tag of html.match(/<script[^>]*>/g) ?? []) assert.match(tag, /src="|type="application\/json"/, tag);
    const config = JSON.parse(/<script type="application\/json" id="library-config">(.*?)<\/script>/s.exec(html)?.[1] ?? 'null');
    assert.equal(config.publicUrl, 'https://photos.example.test', 'share links start at LIGHTBOX_PUBLIC_URL');
    assert.deepEqual(config.documents, LIBRARY_DOCUMENTS);
  });

  it('is not a prefix match: /libraryx is an ordinary 404, and a POST to the page is 405 with Allow', async () => {
    assert.equal((await get('/libraryx')).statusCode, 404);
    const post = await get('/library', {}, 'POST');
    assert.equal(post.statusCode, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('serves the linked assets for a year under their hash, every module the app imports, and nothing else', async () => {
    const html = await (await get('/library')).body.text();
    const linked = [...html.matchAll(ASSET)].map(([, pathname, hash]) => ({ pathname: pathname as string, hash: hash as string }));
    assert.deepEqual(linked.map(({ pathname }) => pathname).sort(), ['/library/assets/app.js', '/library/assets/library.css']);
    const seen = new Set<string>();
    const queue = [...linked.map(({ pathname, hash }) => `${pathname}?v=${hash}`)];
    while (queue.length > 0) {
      const url = queue.shift() as string;
      const response = await get(url);
      assert.equal(response.statusCode, 200, url);
      const text = await response.body.text();
      if (url.includes('?v=')) assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable', url);
      // Imports are asked without the hash: revalidated by ETag, so an upgrade reaches them.
      for (const [, name] of text.matchAll(/from '\.\/([\w-]+\.js)'/g)) {
        if (seen.has(name as string)) continue;
        seen.add(name as string);
        queue.push(`/library/assets/${name}`);
      }
    }
    assert.ok(seen.size >= 5, `the app's modules were followed (${[...seen].join(', ')})`);
    const etag = (await get('/library/assets/dom.js')).headers.etag as string;
    assert.equal((await get('/library/assets/dom.js', { 'if-none-match': etag })).statusCode, 304);
    for (const pathname of ['/library/assets/nope.js', '/library/assets/../../../package.json', '/library/assets/%2e%2e%2fpage.ts']) {
      assert.equal((await get(pathname)).statusCode, 404, pathname);
    }
  });

  it('holds only documents the schema accepts, so LIGHTBOX_TRUSTED_DOCUMENTS=only keeps the app working', () => {
    for (const [name, document] of Object.entries(LIBRARY_DOCUMENTS)) {
      assert.deepEqual(
        validate(schema, parse(document)).map((error) => error.message),
        [],
        name,
      );
    }
  });
});
