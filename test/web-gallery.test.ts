import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { browserSkip, contrastFailures, type LoopbackBrowser, launchLoopbackBrowser } from './helpers/browser.ts';
import { FIXTURE_PHOTOS, REPO_ROOT } from './helpers/cli.ts';
import { buildLibrary, type LibraryPlan } from './helpers/library.ts';
import { processingSettled } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin } from './helpers/share-links.ts';

/** Where screenshots go for a person to look at (ignored by git). */
const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');
const MANY = 50;

/**
 * Scrolls to the end (so lazy images load), then waits until every image on the page has decoded.
 * Each step waits for the page to render a frame at the new position (lazy images are started
 * from there), not for a guess at how long that takes.
 */
async function everyImageDecoded(page: Page): Promise<{ count: number; broken: string[] }> {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight / 2) {
      window.scrollTo(0, y);
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    }
    window.scrollTo(0, 0);
  });
  // The page's own images (the lightbox's, empty until opened, is not one).
  await page.waitForFunction(
    () => [...document.querySelectorAll('main img')].every((image) => (image as HTMLImageElement).complete),
    undefined,
    {
      timeout: 30_000,
    },
  );
  return page.evaluate(() => {
    const images = [...document.querySelectorAll<HTMLImageElement>('main img')];
    return {
      count: images.length,
      broken: images.filter((image) => image.naturalWidth === 0).map((image) => image.currentSrc || image.src),
    };
  });
}

/**
 * Layout shifts the page made, as Chromium measures them (the CLS score, without input-driven
 * ones). A shift is reported with the frame that made it: two frames on, every one so far has
 * been delivered or is waiting in the observer's records.
 */
function layoutShift(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const entries: PerformanceEntry[] = [];
        const observer = new PerformanceObserver((list) => {
          entries.push(...list.getEntries());
        });
        observer.observe({ type: 'layout-shift', buffered: true });
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            entries.push(...observer.takeRecords());
            observer.disconnect();
            let total = 0;
            for (const entry of entries as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
              if (!entry.hadRecentInput) total += entry.value;
            }
            resolve(total);
          }),
        );
      }),
  );
}

describe('the web gallery in a real browser', { skip: browserSkip }, () => {
  let server: TestServer;
  let browser: LoopbackBrowser;
  const albums: Record<string, string> = {};
  const photos: Record<string, string> = {};
  let shareUrl = '';

  before(async () => {
    server = await startTestServer({ LIGHTBOX_WORKERS: '2' });
    const generated = await makeTempDir('lightbox-gallery-');
    const plan: LibraryPlan = {
      albums: { Trip: 'PUBLIC', Many: 'PUBLIC', Secret: 'PRIVATE' },
      photos: {
        first: { file: path.join(FIXTURE_PHOTOS, 'orientation', 'Landscape_1.jpg'), albums: ['Trip'] },
        second: { file: path.join(FIXTURE_PHOTOS, 'orientation', 'Portrait_6.jpg'), albums: ['Trip'] },
        third: { file: path.join(FIXTURE_PHOTOS, 'cameras', 'nikon-e950.jpg'), albums: ['Trip'] },
        hidden: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Secret'] },
        alsoHidden: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0021.jpg'), albums: ['Secret'] },
      },
    };
    for (let index = 0; index < MANY; index++) {
      const file = path.join(generated, `tile-${index}.jpg`);
      const colour = { r: (index * 37) % 256, g: (index * 91) % 256, b: (index * 53) % 256 };
      await sharp({ create: { width: 320, height: 240, channels: 3, background: colour } })
        .jpeg()
        .toFile(file);
      plan.photos[`many-${index}`] = { file, albums: ['Many'] };
    }
    const built = await buildLibrary(server.dataDir, plan);
    for (const [name, id] of Object.entries(built.albums)) albums[name] = encodeGlobalID('Album', id);
    for (const [name, id] of Object.entries(built.photos)) photos[name] = encodeGlobalID('Photo', id);
    shareUrl = (await createShareLinkAsAdmin(server, { albumId: albums.Secret as string })).url;
    await processingSettled(server);
    browser = await launchLoopbackBrowser();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the home page lists the public albums with their covers, decoded, without layout shift, nothing from elsewhere', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    const titles = await page.locator('.albums .title').allTextContents();
    assert.deepEqual(titles.sort(), ['Many', 'Trip']);
    const images = await everyImageDecoded(page);
    assert.equal(images.count, 2);
    assert.deepEqual(images.broken, []);
    assert.equal(await layoutShift(page), 0);
    assert.deepEqual(browser.outside, [], 'no request left the origin');
    await page.close();
  });

  it('an album shows its photos in order, at their sizes (width and height on every <img>), alt from the title; CLS 0', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/albums/${encodeURIComponent(albums.Trip as string)}`);
    const tiles = page.locator('ul.grid img');
    assert.equal(await tiles.count(), 3);
    for (const image of await tiles.all()) {
      assert.ok(Number(await image.getAttribute('width')) > 0 && Number(await image.getAttribute('height')) > 0, 'width and height');
      assert.ok((await image.getAttribute('alt'))?.length, 'alt');
    }
    // By capture time, the album's default: third (a Nikon photo of 2001), then the two without a capture time, as they were added.
    assert.deepEqual(await tiles.evaluateAll((images) => images.map((image) => image.getAttribute('alt'))), ['third', 'first', 'second']);
    assert.equal(await page.locator('ul.grid img').first().getAttribute('fetchpriority'), 'high');
    const images = await everyImageDecoded(page);
    assert.deepEqual(images.broken, []);
    assert.equal(await layoutShift(page), 0);
    assert.deepEqual(browser.outside, []);
    await page.close();
  });

  it('a second visit downloads no image again', async () => {
    // A context of its own: routing requests (how the others record what leaves the origin) turns Chromium's HTTP cache off.
    const context = await browser.browser.newContext();
    const page = await context.newPage();
    const url = `${server.url}/albums/${encodeURIComponent(albums.Trip as string)}`;
    await page.goto(url);
    await everyImageDecoded(page);
    await page.goto(`${server.url}/`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const downloaded: string[] = [];
    const fromMemory = new Set<string>();
    cdp.on('Network.requestServedFromCache', (event) => fromMemory.add((event as { requestId: string }).requestId));
    cdp.on('Network.responseReceived', (event) => {
      const { requestId, response, type } = event as {
        requestId: string;
        type: string;
        response: { url: string; status: number; fromDiskCache?: boolean };
      };
      // A 304 is allowed (a revalidation); a 200 must have come from the memory or disk cache, not the server.
      if (type === 'Image' && response.status === 200 && !response.fromDiskCache && !fromMemory.has(requestId))
        downloaded.push(response.url);
    });
    await page.goto(url);
    await everyImageDecoded(page);
    assert.deepEqual(downloaded, [], 'every image came from the cache (versioned URLs are immutable)');
    await context.close();
  });

  it('the lightbox opens from the keyboard, moves with ← →, traps focus and gives it back on Esc', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/albums/${encodeURIComponent(albums.Trip as string)}`);
    const first = page.locator('ul.grid a').first();
    await first.focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('[role=dialog]');
    await dialog.waitFor({ state: 'visible' });
    const shown = () => page.locator('[role=dialog] img').getAttribute('alt');
    assert.equal(await shown(), 'third');
    await page.keyboard.press('ArrowRight');
    assert.equal(await shown(), 'first');
    await page.keyboard.press('ArrowRight');
    assert.equal(await shown(), 'second');
    // A portrait photo in a landscape window shows narrow: the rendition fetched is the smallest
    // that covers it, not the one a full-width photo would need.
    await page.waitForFunction(() => (document.querySelector('[role=dialog] img') as HTMLImageElement).complete);
    const chosen = await page.evaluate(() => {
      const img = document.querySelector('[role=dialog] img') as HTMLImageElement;
      const candidates = img.srcset.split(',').map((part) => {
        const [url, width] = part.trim().split(/\s+/);
        return { url: new URL(url as string, location.href).href, width: Number.parseInt(width as string, 10) };
      });
      const needed = img.getBoundingClientRect().width * devicePixelRatio;
      return {
        needed,
        widths: candidates.map((candidate) => candidate.width),
        got: candidates.find((c) => c.url === img.currentSrc)?.width,
      };
    });
    const covering = chosen.widths.filter((width) => width >= chosen.needed).sort((a, b) => a - b)[0];
    assert.equal(chosen.got, covering, `shown ${Math.round(chosen.needed)} px wide, of ${chosen.widths.join(', ')}`);
    assert.notEqual(chosen.got, Math.max(...chosen.widths), 'not the largest rendition');
    for (let press = 0; press < 5; press++) {
      await page.keyboard.press('Tab');
      assert.ok(await page.evaluate(() => document.activeElement?.closest('[role=dialog]') !== null), 'focus stays in the dialog');
    }
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(
      await page.evaluate(() => document.activeElement?.querySelector('img')?.getAttribute('alt')),
      'second',
      'focus on the tile of the photo last shown',
    );
    await page.close();
  });

  it("the lightbox has the photo's own address: Back closes it, Forward opens it again; it shows a counter, the capture line and a download", async () => {
    const page = await browser.context.newPage();
    const albumUrl = `${server.url}/albums/${encodeURIComponent(albums.Trip as string)}`;
    await page.goto(albumUrl);
    const hrefs = await page.locator('ul.grid a').evaluateAll((links) => links.map((link) => (link as HTMLAnchorElement).href));
    const dialog = page.locator('[role=dialog]');
    await page.locator('ul.grid a').first().click();
    await dialog.waitFor({ state: 'visible' });
    assert.equal(page.url(), hrefs[0], "the address is the photo's own page");
    assert.equal(await dialog.locator('.count').textContent(), '1 of 3');
    assert.equal(await dialog.locator('.line').textContent(), '2001-04-06 11:51 · NIKON E950', 'when and with what, from its EXIF');
    const download = dialog.locator('a[download]');
    assert.equal(await download.getAttribute('download'), 'third.jpg');
    const fetched = await page.evaluate(
      async (href) => {
        const response = await fetch(href);
        const bytes = new Uint8Array(await response.arrayBuffer());
        return { status: response.status, type: response.headers.get('content-type'), size: bytes.length };
      },
      (await download.getAttribute('href')) as string,
    );
    assert.equal(fetched.status, 200);
    assert.equal(fetched.type, 'image/jpeg');

    await page.keyboard.press('ArrowRight');
    // Moving on replaces the address, so Back still closes the box.
    await page.waitForURL(hrefs[1] as string);
    assert.equal(await dialog.locator('.count').textContent(), '2 of 3');
    assert.equal(await dialog.locator('.line').isHidden(), true, 'no capture line for a photo without one');

    await page.goBack();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForURL(albumUrl);
    assert.equal(page.url(), albumUrl, 'Back closes the photo and stays on the album');
    assert.equal(await page.locator('h1').textContent(), 'Trip');
    await page.goForward();
    await dialog.waitFor({ state: 'visible' });
    assert.equal(await dialog.locator('img').getAttribute('alt'), 'first');

    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForURL(albumUrl);

    // The address a person copied from the open box is the photo's page.
    await page.locator('ul.grid a').first().click();
    await dialog.waitFor({ state: 'visible' });
    await page.waitForURL(hrefs[0] as string);
    await page.reload();
    assert.equal(await page.locator('main').getAttribute('data-page'), 'photo');
    assert.equal(await page.locator('h1').textContent(), 'third');
    assert.deepEqual(browser.outside, []);
    await page.close();
  });

  it("an album's photos lie in rows at their own aspect, every tile of a row as tall as the others, without layout shift; covers stay square", async () => {
    for (const width of [360, 1440]) {
      const page = await browser.context.newPage();
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${server.url}/albums/${encodeURIComponent(albums.Trip as string)}`);
      const before = await page.locator('ul.grid img').evaluateAll((images) =>
        images.map((image) => {
          const box = image.getBoundingClientRect();
          return { top: Math.round(box.top), width: box.width, height: box.height };
        }),
      );
      await everyImageDecoded(page);
      assert.equal(await layoutShift(page), 0, `no layout shift at ${width} px`);
      const tiles = await page.locator('ul.grid img').evaluateAll((images) =>
        images.map((image) => {
          const box = image.getBoundingClientRect();
          const picture = image as HTMLImageElement;
          return {
            alt: picture.alt,
            top: Math.round(box.top),
            width: box.width,
            height: box.height,
            ratio: picture.naturalWidth / picture.naturalHeight,
          };
        }),
      );
      assert.deepEqual(
        tiles.map(({ width: w, height: h }) => ({ w: Math.round(w), h: Math.round(h) })),
        before.map(({ width: w, height: h }) => ({ w: Math.round(w), h: Math.round(h) })),
        'every tile had its final size before its image arrived',
      );
      for (const tile of tiles) {
        assert.ok(Math.abs(tile.width / tile.height - tile.ratio) / tile.ratio < 0.03, `${tile.alt} at its own aspect (${width} px)`);
        assert.ok(tile.width <= width, `${tile.alt} fits the window`);
      }
      const portrait = tiles.find((tile) => tile.alt === 'second');
      assert.ok(portrait && portrait.height > portrait.width, 'the portrait photo shows tall, not cropped square');
      const rows = new Map<number, number[]>();
      for (const tile of tiles) rows.set(tile.top, [...(rows.get(tile.top) ?? []), tile.height]);
      for (const heights of rows.values()) assert.ok(Math.max(...heights) - Math.min(...heights) <= 1, `a row of one height: ${heights}`);
      await page.screenshot({ path: path.join(SCREENSHOTS, `gallery-album-justified-${width}.png`), fullPage: true });

      await page.goto(`${server.url}/`);
      await everyImageDecoded(page);
      for (const box of await page
        .locator('ul.grid img')
        .evaluateAll((images) => images.map((image) => image.getBoundingClientRect().toJSON()))) {
        assert.ok(Math.abs(box.width - box.height) <= 1, 'an album cover is a square crop');
      }
      await page.close();
    }
  });

  it("a photo's page shows the picture in a box of its own shape, with no layout shift: a small photo is not blown up, a tall one fits the window", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    for (const [name, expected] of [
      ['many-0', { width: 320, height: 240 }],
      ['second', { height: Math.floor(0.85 * 900), ratio: 2 / 3 }],
    ] as const) {
      await page.goto(`${server.url}/photos/${encodeURIComponent(photos[name] as string)}`);
      await page.waitForFunction(() => (document.querySelector('.photo img') as HTMLImageElement).complete);
      const box = await page.evaluate(() => {
        const img = document.querySelector('.photo img') as HTMLImageElement;
        const rect = img.getBoundingClientRect();
        return { width: rect.width, height: rect.height, natural: img.naturalWidth / img.naturalHeight };
      });
      assert.ok(Math.abs(box.width / box.height - box.natural) < 0.01, `${name}: no bars beside the picture (${JSON.stringify(box)})`);
      assert.equal(await layoutShift(page), 0, `${name}: the box was right before the picture arrived`);
      if ('width' in expected)
        assert.deepEqual({ width: box.width, height: box.height }, expected, `${name}: at its own size, not enlarged`);
      else assert.ok(Math.abs(box.height - expected.height) <= 1, `${name}: as tall as 85% of the window (${box.height})`);
    }
    await page.close();
  });

  it("a photo's page moves to the next and previous photo with the keyboard, in album order", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/albums/${encodeURIComponent(albums.Trip as string)}`);
    // The album's second photo (its first is the one with a capture time).
    await page.evaluate(() => document.querySelectorAll<HTMLAnchorElement>('ul.grid a')[1]?.href).then((href) => page.goto(href as string));
    assert.equal(await page.locator('h1').textContent(), 'first');
    // Until the next page's load, its script may not be listening yet: a key pressed sooner is lost.
    await Promise.all([page.waitForNavigation(), page.keyboard.press('ArrowRight')]);
    assert.equal(await page.locator('h1').textContent(), 'second');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('ArrowLeft')]);
    assert.equal(await page.locator('h1').textContent(), 'first');
    const images = await everyImageDecoded(page);
    assert.deepEqual(images.broken, []);
    assert.equal(await layoutShift(page), 0, 'the large image has its size before it loads');
    // A swipe to the left is "next", as on a phone.
    await Promise.all([
      page.waitForNavigation(),
      page.evaluate(() => {
        // No helper functions in here: the test runner's transpiler would wrap them in a name it defines outside the page.
        const main = document.querySelector('main') as HTMLElement;
        const start = [new Touch({ identifier: 1, target: main, clientX: 300, clientY: 200 })];
        const end = [new Touch({ identifier: 1, target: main, clientX: 100, clientY: 200 })];
        main.dispatchEvent(new TouchEvent('touchstart', { changedTouches: start, bubbles: true }));
        main.dispatchEvent(new TouchEvent('touchend', { changedTouches: end, bubbles: true }));
      }),
    ]);
    assert.equal(await page.locator('h1').textContent(), 'second');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Escape')]);
    assert.match(page.url(), /\/albums\//);
    await page.close();
  });

  it('infinite scroll fetches the next page through /graphql', async () => {
    const page = await browser.context.newPage();
    const graphqlCalls: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql') graphqlCalls.push(request.method());
    });
    await page.goto(`${server.url}/albums/${encodeURIComponent(albums.Many as string)}`);
    assert.equal(await page.locator('ul.grid li').count(), 48);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForFunction((expected) => document.querySelectorAll('ul.grid li').length === expected, MANY);
    assert.deepEqual(graphqlCalls, ['POST']);
    assert.equal(await page.locator('nav.pager a[rel=next]').count(), 0, 'no more pages');
    const images = await everyImageDecoded(page);
    assert.equal(images.count, MANY);
    assert.deepEqual(images.broken, []);
    await page.close();
  });

  it('works with JavaScript off: pages by cursor links, photo pages, every image', async () => {
    const context = await browser.browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const images = imageResponses(page);
      await page.goto(`${server.url}/albums/${encodeURIComponent(albums.Many as string)}`);
      assert.equal(await page.locator('ul.grid li').count(), 48);
      await Promise.all([page.waitForNavigation(), page.locator('nav.pager a[rel=next]').click()]);
      assert.equal(await page.locator('ul.grid li').count(), MANY - 48);
      await Promise.all([page.waitForNavigation(), page.locator('ul.grid a').first().click()]);
      assert.match(page.url(), /\/photos\//);
      assert.equal(await page.locator('article.photo img').count(), 1);
      await page.waitForLoadState('load');
      assert.ok(images.count() > 0);
      assert.deepEqual(images.bad, []);
    } finally {
      await context.close();
    }
  });

  it("a share link's holder sees its album; nobody else sees anything private", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}${shareUrl}`);
    assert.deepEqual((await page.locator('ul.grid img').evaluateAll((images) => images.map((image) => image.getAttribute('alt')))).sort(), [
      'alsoHidden',
      'hidden',
    ]);
    assert.deepEqual((await everyImageDecoded(page)).broken, []);
    assert.equal(await page.evaluate(() => document.referrer), '');
    // Its photo pages carry the link; the lightbox works there too.
    await page.evaluate(() => document.querySelector<HTMLAnchorElement>('ul.grid a')?.href).then((href) => page.goto(href as string));
    assert.equal(await page.locator('article.photo img').count(), 1);
    assert.deepEqual((await everyImageDecoded(page)).broken, []);

    for (const privatePage of [
      `/albums/${encodeURIComponent(albums.Secret as string)}`,
      `/photos/${encodeURIComponent(photos.hidden as string)}`,
    ]) {
      const response = await page.goto(`${server.url}${privatePage}`);
      assert.equal(response?.status(), 404, privatePage);
      assert.equal(await page.locator('img').count(), 0);
    }
    await page.goto(`${server.url}/`);
    assert.ok(!(await page.content()).includes('Secret'), 'the home page names no private album');
    assert.deepEqual(browser.outside, [], 'no request left the origin, on any page');
    await page.close();
  });

  it('reads on a 360 px phone, a 1440 px and a 2560 px screen, light and dark, at AA contrast (screenshots in test-output/screenshots)', async (t) => {
    for (const [width, scheme] of [
      [360, 'light'],
      [1440, 'light'],
      [2560, 'light'],
      [360, 'dark'],
      [1440, 'dark'],
    ] as const) {
      const page = await browser.context.newPage();
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: width === 360 ? 740 : width === 1440 ? 900 : 1440 });
      for (const [name, url] of [
        ['home', '/'],
        ['album', `/albums/${encodeURIComponent(albums.Trip as string)}`],
        ['photo', `/photos/${encodeURIComponent(photos.first as string)}`],
      ] as const) {
        await page.goto(`${server.url}${url}`);
        await everyImageDecoded(page);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} at ${width}px: nothing wider than the screen`);
        assert.deepEqual(await contrastFailures(page), [], `${name} at ${width}px, ${scheme}: every text meets WCAG AA contrast`);
        if (scheme === 'dark') {
          const paper = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(paper, 'rgb(20, 20, 20)', 'a dark system gets the dark page');
        }
        const file = path.join(SCREENSHOTS, `${name}-${width}${scheme === 'dark' ? '-dark' : ''}.png`);
        await page.screenshot({ path: file, fullPage: true });
        t.diagnostic(file);
      }
      await page.close();
    }
  });
});

/** With JavaScript off nothing can be asked of the page itself: every image response it received is checked instead. */
function imageResponses(page: Page): { bad: string[]; count(): number } {
  const bad: string[] = [];
  let count = 0;
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'image') return;
    count++;
    if (response.status() >= 400 || !/^image\//.test(response.headers()['content-type'] ?? ''))
      bad.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    if (request.resourceType() === 'image') bad.push(`failed ${request.url()}`);
  });
  return { bad, count: () => count };
}
