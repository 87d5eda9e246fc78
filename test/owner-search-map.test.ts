import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page, Response } from 'playwright-core';
import { graphql } from './generated/index.ts';
import { browserSkip, type LoopbackBrowser, launchLoopbackBrowser, libraryScreenshots } from './helpers/browser.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { processingSettled } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const Places = graphql(`
  query OwnerSearchPlaces {
    photos(first: 50) {
      nodes {
        id
        title
        keywords
        place {
          name
          country
        }
      }
    }
  }
`);

const fixture = (...parts: string[]) => path.join(FIXTURE_PHOTOS, ...parts);
const GPS = ['DSCN0010.jpg', 'DSCN0021.jpg', 'DSCN0040.jpg'];
const CAMERAS = ['canon-ixus', 'fujifilm-dx10', 'kodak-dc240', 'nikon-e950', 'olympus-c960', 'sony-d700'].map((name) => `${name}.jpg`);

/** The titles of the tiles under `scope`, sorted. */
const tileTitles = async (scope: Locator) => (await scope.locator('li.tile .title').allTextContents()).sort();

/** The variables and document of a GraphQL request, or null for any other request. */
function graphqlBody(response: Response): { query?: string; variables?: Record<string, unknown> } | null {
  const request = response.request();
  if (request.method() !== 'POST' || !new URL(request.url()).pathname.endsWith('/graphql')) return null;
  try {
    return request.postDataJSON();
  } catch {
    return null;
  }
}

const isSearchFor = (text: string) => (response: Response) => graphqlBody(response)?.variables?.text === text;
const isMapClusters = (response: Response) => /\bquery LibraryMapClusters\b/.test(graphqlBody(response)?.query ?? '');

describe("the owner's search and map in a real browser", { skip: browserSkip }, () => {
  let server: TestServer;
  let browser: LoopbackBrowser;
  let page: Page;
  const problems: string[] = [];

  const main = () => page.locator('main');
  const searchField = () => page.getByRole('search').getByRole('searchbox', { name: 'Search photos' });

  /** Does `action`, then waits for the answer to the clusters the map asks for after it. */
  async function clustersAskedAfter(action: () => Promise<unknown>): Promise<void> {
    const answered = page.waitForResponse(isMapClusters);
    await action();
    await (await answered).finished();
  }

  /** Waits for `locator`; if it never shows, the failure says what the page showed instead. */
  async function shows(locator: Locator): Promise<void> {
    try {
      await locator.waitFor({ timeout: 60_000 });
    } catch (error) {
      const said = await page.evaluate(() => ({
        alert: document.getElementById('alert')?.textContent ?? '',
        main: document.querySelector('main')?.textContent?.slice(0, 400) ?? '',
        url: location.pathname + location.search,
      }));
      throw new Error(`${(error as Error).message.split('\n')[0]}; the page said ${JSON.stringify(said)}`);
    }
  }

  before(async () => {
    const dataDir = await makeTempDir();
    const files = [...CAMERAS.map((name) => fixture('cameras', name)), ...GPS.map((name) => fixture('gps', name))];
    await buildLibrary(dataDir, {
      albums: {},
      photos: Object.fromEntries(files.map((file) => [path.basename(file), { file, albums: [] }])),
    });
    server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir, LIGHTBOX_WORKERS: '2', LIGHTBOX_TRUSTED_DOCUMENTS: 'only' });
    await processingSettled(server);
    browser = await launchLoopbackBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${server.url}/library#token=${server.admin.authorization.slice('Bearer '.length)}`);
    await shows(page.locator('.sections li.tile').first());
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the worker found the GPS photos’ place: Arezzo, Italy', async () => {
    const nodes = dataOf(await postGraphQL(server.url, Places, {}, server.admin)).photos.nodes;
    const placed = nodes.filter((photo) => photo.place !== null);
    assert.deepEqual(placed.map((photo) => photo.title).sort(), GPS);
    for (const photo of placed) assert.deepEqual(photo.place, { name: 'Arezzo', country: 'Italy' });
  });

  it('searches as the owner types, by place and by title prefix, drops stale answers, says when nothing matches, and clears back to the timeline', async () => {
    // The answer to "ar" is held back until "are" has been answered: it must not replace it.
    let releaseStale = () => {};
    const staleHeld = new Promise<void>((resolve) => {
      releaseStale = resolve;
    });
    let staleSeen = false;
    let staleArrived = () => {};
    const staleSent = new Promise<void>((resolve) => {
      staleArrived = resolve;
    });
    await page.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { variables?: { text?: string } } | null;
      if (body?.variables?.text !== 'ar') return route.fallback();
      staleSeen = true;
      staleArrived();
      await staleHeld;
      // "ar" matches the same three photos as "are": a count no query has tells its answer apart if it were shown.
      const response = await route.fetch();
      const answer = await response.json();
      answer.data.photos.totalCount = 99;
      await route.fulfill({ response, json: answer });
    });

    const field = searchField();
    await field.click();
    await field.pressSequentially('ar');
    await page.waitForFunction(() => location.pathname === '/library/search');
    await staleSent;
    await field.pressSequentially('e');
    await shows(main().getByText('3 photos match “are”'));
    assert.ok(staleSeen, 'the query for "ar" was sent and held');
    const staleAnswer = page.waitForResponse(isSearchFor('ar'));
    releaseStale();
    // Its whole body has reached the page, which has had the chance to show it.
    await (await staleAnswer).finished();
    await page.unroute('**/graphql');
    assert.equal(await main().locator('.count').textContent(), '3 photos match “are”', 'the older answer did not replace the newer');
    assert.deepEqual(await tileTitles(main()), GPS);
    assert.equal(await page.evaluate(() => location.pathname + location.search), '/library/search?q=are');
    assert.equal(await field.evaluate((input) => input === document.activeElement), true, 'typing keeps the focus in the field');
    await libraryScreenshots(page, 'search');

    // A title's prefix finds that photo alone.
    await field.fill('olymp');
    await shows(main().getByText('1 photo matches “olymp”'));
    assert.deepEqual(await tileTitles(main()), ['olympus-c960.jpg']);

    // Reload keeps the search; back returns to the search before.
    await page.reload();
    await shows(main().getByText('1 photo matches “olymp”'));
    assert.equal(await searchField().inputValue(), 'olymp');

    await searchField().fill('xyzzy');
    await shows(main().getByText('No photo matches “xyzzy”'));
    assert.equal(await main().locator('li.tile').count(), 0);
    await libraryScreenshots(page, 'search-empty');

    await page.getByRole('search').getByRole('button', { name: 'Clear' }).click();
    await shows(page.getByRole('heading', { name: 'All photos', level: 1 }));
    assert.equal(await page.evaluate(() => location.pathname), '/library');
    assert.equal(await searchField().inputValue(), '');
    await page.waitForFunction((n) => document.querySelectorAll('.sections li.tile').length === n, CAMERAS.length + GPS.length);

    // Back: the last search again, in the field and in the grid.
    await page.goBack();
    await shows(main().getByText('No photo matches “xyzzy”'));
    assert.equal(await searchField().inputValue(), 'xyzzy');
    await page.getByRole('link', { name: 'All photos', exact: true }).click();
    await shows(page.getByRole('heading', { name: 'All photos', level: 1 }));
    assert.equal(await searchField().inputValue(), '');
  });

  it('shows a photo’s place and keywords; a keyword added there, and one added to a selection, is found by search', async () => {
    const nodes = dataOf(await postGraphQL(server.url, Places, {}, server.admin)).photos.nodes;
    const id = nodes.find((photo) => photo.title === 'DSCN0021.jpg')?.id as string;
    await page.goto(`${server.url}/library/photos/${encodeURIComponent(id)}`);
    await shows(page.getByRole('heading', { name: 'DSCN0021.jpg', level: 1 }));
    const facts = page.locator('dl.facts');
    assert.equal(await facts.locator('dt:text-is("Place") + dd').textContent(), 'Arezzo, Italy');

    const add = page.getByLabel('Add a keyword');
    await add.fill('Harbourlights');
    await add.press('Enter');
    await shows(page.locator('ul.keywords li', { hasText: 'Harbourlights' }));
    await add.fill('zebra');
    await page.locator('form.add-keyword').getByRole('button', { name: 'Add' }).click();
    await shows(page.getByRole('button', { name: 'Remove keyword zebra' }));
    await libraryScreenshots(page, 'photo-keywords');
    await page.getByRole('button', { name: 'Remove keyword zebra' }).click();
    await page.getByRole('button', { name: 'Remove keyword zebra' }).waitFor({ state: 'detached' });
    const saved = dataOf(await postGraphQL(server.url, Places, {}, server.admin)).photos.nodes.find(
      (photo) => photo.title === 'DSCN0021.jpg',
    );
    assert.deepEqual(saved?.keywords, ['Harbourlights']);

    await searchField().fill('harbour');
    await shows(main().getByText('1 photo matches “harbour”'));
    assert.deepEqual(await tileTitles(main()), ['DSCN0021.jpg']);

    // Two cameras' photos selected on the timeline get one keyword in one request.
    await searchField().fill('');
    await page.getByRole('link', { name: 'All photos', exact: true }).click();
    await shows(page.getByRole('heading', { name: 'All photos', level: 1 }));
    for (const title of ['canon-ixus.jpg', 'sony-d700.jpg']) await page.getByRole('checkbox', { name: `Select ${title}` }).check();
    await page.getByRole('toolbar', { name: 'Selected photos' }).getByRole('button', { name: 'Add keyword…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a keyword to 2 photos' });
    await dialog.getByLabel('Keyword').fill('festival');
    await dialog.getByRole('button', { name: 'Add keyword' }).click();
    await dialog.waitFor({ state: 'detached' });
    await searchField().fill('festiv');
    await shows(main().getByText('2 photos match “festiv”'));
    assert.deepEqual(await tileTitles(main()), ['canon-ixus.jpg', 'sony-d700.jpg']);
    await page.getByRole('search').getByRole('button', { name: 'Clear' }).click();
    await shows(page.getByRole('heading', { name: 'All photos', level: 1 }));
  });

  it('draws the world offline with a cluster of the three GPS photos near Arezzo; clicking it lists them', async () => {
    await page.getByRole('navigation', { name: 'Library' }).getByRole('link', { name: 'Map' }).click();
    await shows(page.getByRole('heading', { name: 'Map', level: 1 }));
    // The land is drawn: the path from the server's own asset, in the page.
    await page.waitForFunction(() => (document.querySelector('#world-land')?.getAttribute('d')?.length ?? 0) > 10_000);
    const clusters = page.locator('.map-surface button.cluster');
    const arezzo = page.getByRole('button', { name: '3 photos near 43.47, 11.88' });
    await shows(arezzo);
    assert.equal(await clusters.count(), 1, 'one cluster: the only geotagged photos');
    assert.equal(await arezzo.textContent(), '3');
    await shows(page.getByText('3 photos in view, in 1 place'));
    await libraryScreenshots(page, 'map');

    // Zoom by keyboard and buttons (in and out again), then by the wheel over the cluster, which
    // keeps it under the pointer: the clusters are asked again and it stays, at a finer level.
    // Each step waits for the clusters the map asks for after it (once the owner pauses), so no
    // step's request is cancelled by the next and the last answer is the view's.
    await page.getByRole('group', { name: /Map of where your photos were taken/ }).focus();
    await clustersAskedAfter(() => page.keyboard.press('+'));
    await clustersAskedAfter(() => page.getByRole('button', { name: 'Zoom out' }).click());
    await page.waitForFunction(() => new URLSearchParams(location.search).has('scale'));
    const before = (await arezzo.boundingBox()) as { x: number; y: number; width: number; height: number };
    await page.mouse.move(before.x + before.width / 2, before.y + before.height / 2);
    await clustersAskedAfter(() => page.mouse.wheel(0, -300));
    await clustersAskedAfter(() => page.mouse.wheel(0, -300));
    await page.waitForFunction(() => Number(new URLSearchParams(location.search).get('scale')) > 15);
    await shows(arezzo);
    assert.equal(await clusters.count(), 1);

    // Three photos are few enough to list: one click lists them rather than zooming in.
    const listed = page.locator('section.area-photos');
    const url = page.url();
    await arezzo.click();
    await shows(listed.getByRole('heading', { name: '3 photos near 43.47, 11.88' }));
    assert.equal(page.url(), url, 'the click listed the photos without zooming in');
    await page.waitForFunction(() => document.querySelectorAll('section.area-photos li.tile').length === 3);
    assert.deepEqual(await tileTitles(listed), GPS);
    await libraryScreenshots(page, 'map-cluster');

    // A view across the antimeridian is asked for as one box (west > east) and draws without an error.
    await page.goto(`${server.url}/library/map?lat=0&lon=179&scale=8`);
    await shows(page.getByText('No geotagged photos in view.'));
    assert.equal(await page.locator('#alert').textContent(), '');
    assert.deepEqual(browser.outside, [], 'nothing was asked of another origin');
    assert.deepEqual(problems, []);
  });
});
