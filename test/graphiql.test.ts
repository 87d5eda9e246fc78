import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { browserSkip, launchLoopbackBrowser } from './helpers/browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

async function graphiqlPage(server: TestServer) {
  const response = await request(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
  return { status: response.statusCode, headers: response.headers, html: await response.body.text() };
}

/** Every URL the page names in an attribute. */
function linkedUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1] ?? '');
}

describe('GraphiQL is served from this origin', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('the page links only its own files and goes out with a strict Content-Security-Policy', async () => {
    const page = await graphiqlPage(server);
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.doesNotMatch(page.html, /unpkg|cdn|https?:\/\//i);
    const urls = linkedUrls(page.html);
    assert.equal(urls.length, 4, 'icon, stylesheet, start script, bundle');
    for (const url of urls) assert.match(url, /^\/graphiql\/[\w.-]+\?v=[\w-]{16}$/);
    // The options travel as data; the only scripts are files from this origin.
    const scripts = [...page.html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    for (const [, attributes = '', body = ''] of scripts) {
      assert.ok(/src="\/graphiql\//.test(attributes) || attributes.includes('type="application/json"'), attributes);
      if (attributes.includes('src=')) assert.equal(body, '');
    }
    const policy = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "worker-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      assert.ok(policy.includes(directive), `${directive} in ${policy}`);
    }
    assert.doesNotMatch(policy, /unsafe-eval|https?:|\*/);
    assert.doesNotMatch(policy.match(/script-src[^;]*/)?.[0] ?? '', /unsafe-inline/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
  });

  it('the files are cached for a year under their hashed URL, revalidate by ETag and come gzipped when asked', async () => {
    const urls = linkedUrls((await graphiqlPage(server)).html);
    const types: Record<string, RegExp> = { '.js': /^text\/javascript/, '.css': /^text\/css/, '.ico': /^image\/x-icon$/ };
    for (const url of urls) {
      const plain = await request(`${server.url}${url}`);
      const body = Buffer.from(await plain.body.arrayBuffer());
      assert.equal(plain.statusCode, 200, url);
      assert.ok(body.length > 0, url);
      const extension = url.slice(url.lastIndexOf('.'), url.indexOf('?'));
      assert.match(String(plain.headers['content-type']), types[extension] ?? /^$/, url);
      assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      assert.equal(Number(plain.headers['content-length']), body.length);

      const etag = String(plain.headers.etag);
      const revalidated = await request(`${server.url}${url}`, { headers: { 'if-none-match': etag } });
      await revalidated.body.dump();
      assert.equal(revalidated.statusCode, 304, url);

      const zipped = await request(`${server.url}${url}`, { headers: { 'accept-encoding': 'br, gzip;q=0.8' } });
      const zippedBody = Buffer.from(await zipped.body.arrayBuffer());
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.notEqual(zipped.headers.etag, etag, 'each encoding has its own validator');
      assert.deepEqual(gunzipSync(zippedBody), body);
    }
    const refused = await request(`${server.url}${urls[3]}`, { headers: { 'accept-encoding': 'gzip;q=0' } });
    await refused.body.dump();
    assert.equal(refused.headers['content-encoding'], undefined);
  });

  it('an outdated or missing version asks again; unknown files are 404; only GET and HEAD', async () => {
    const unversioned = await request(`${server.url}/graphiql/graphiql.css`);
    await unversioned.body.dump();
    assert.equal(unversioned.statusCode, 200);
    assert.equal(unversioned.headers['cache-control'], 'no-cache');

    for (const path of ['/graphiql/', '/graphiql/../package.json', '/graphiql/start', '/graphiql/yoga-graphiql.js/x']) {
      const missing = await request(`${server.url}${path}`);
      await missing.body.dump();
      assert.equal(missing.statusCode, 404, path);
    }
    const head = await request(`${server.url}/graphiql/start.js`, { method: 'HEAD' });
    await head.body.dump();
    assert.equal(head.statusCode, 200);
    assert.ok(Number(head.headers['content-length']) > 0);

    const post = await request(`${server.url}/graphiql/start.js`, { method: 'POST', body: '' });
    await post.body.dump();
    assert.equal(post.statusCode, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('with LIGHTBOX_GRAPHIQL=false neither the page nor its files are served', async () => {
    const closed = await startTestServer({ LIGHTBOX_GRAPHIQL: 'false' });
    try {
      const page = await graphiqlPage(closed);
      assert.doesNotMatch(page.html, /<html/);
      const asset = await request(`${closed.url}/graphiql/yoga-graphiql.js`);
      await asset.body.dump();
      assert.equal(asset.statusCode, 404);
    } finally {
      await closed.close();
    }
  });
});

describe('GraphiQL in a real browser with the network limited to loopback', { skip: browserSkip }, () => {
  it('renders, opens with the welcome query, runs it, and asks nothing of any other origin', async () => {
    const server = await startTestServer();
    const browser = await launchLoopbackBrowser();
    try {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      const workers: string[] = [];
      page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
        });
      });

      const graphqlWorker = page.waitForEvent('worker', {
        predicate: (worker) => new URL(worker.url()).pathname === '/graphiql/graphql.worker.js',
        timeout: 60_000,
      });
      const response = await page.goto(`${server.url}/graphql`);
      assert.equal(response?.status(), 200);
      const editor = page.locator('.graphiql-query-editor');
      await editor.getByText('Welcome to Lightbox').waitFor({ timeout: 60_000 });
      await page.locator('.graphiql-execute-button').click();
      const result = page.locator('.graphiql-response');
      await result.getByText('"totalCount"').first().waitFor({ timeout: 30_000 });
      const text = (await result.textContent()) ?? '';
      assert.match(text, /"data"/);
      assert.doesNotMatch(text, /"errors"/);

      // Monaco's language services run in workers loaded from this origin, not from blobs of CDN code.
      await graphqlWorker;
      assert.ok(
        workers.every((worker) => worker.startsWith('/graphiql/')),
        workers.join(', '),
      );
      assert.deepEqual(browser.outside, []);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
