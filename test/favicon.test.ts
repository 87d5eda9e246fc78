import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startTestServer, type TestServer } from './helpers/server.ts';

const ICON_LINK = /<link rel="icon" href="([^"]+)" type="image\/svg\+xml">/;

/** A first visit used to log a 404 for /favicon.ico in the console: every page names its icon, and the old name answers too. */
describe('the site icon', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server?.close());

  it('is named by the gallery and the owner’s app, at a hashed URL kept for a year', async () => {
    const hrefs = new Set<string>();
    for (const page of ['/', '/library']) {
      const html = await (await request(`${server.url}${page}`)).body.text();
      const href = ICON_LINK.exec(html)?.[1];
      assert.ok(href, `${page} links its icon`);
      hrefs.add(href);
    }
    assert.equal(hrefs.size, 1, 'one icon for both');
    const icon = await request(`${server.url}${[...hrefs][0]}`);
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(await icon.body.text(), /^<svg /);
  });

  it('answers /favicon.ico, which browsers ask for wherever no page names one, with the same icon and a 304 on its ETag', async () => {
    const icon = await request(`${server.url}/favicon.ico`);
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'no-cache');
    await icon.body.dump();
    const again = await request(`${server.url}/favicon.ico`, { headers: { 'if-none-match': String(icon.headers.etag) } });
    assert.equal(again.statusCode, 304);
    await again.body.dump();
  });
});
