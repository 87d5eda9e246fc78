import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { graphql } from './generated/index.ts';
import { browserSkip, type LoopbackBrowser, launchLoopbackBrowser, libraryScreenshots } from './helpers/browser.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { processingSettled } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const Months = graphql(`
  query OwnerTimelineMonths($filter: PhotoFilter) {
    timeline(bucket: MONTH, filter: $filter) {
      start
      end
      count
    }
  }
`);

const Curated = graphql(`
  query OwnerCurated($filter: PhotoFilter) {
    photos(first: 50, filter: $filter) {
      totalCount
      nodes {
        favorite
        rating
      }
    }
  }
`);

const fixture = (...parts: string[]) => path.join(FIXTURE_PHOTOS, ...parts);

/** The heading of each month section the timeline shows, top to bottom. */
const sectionHeadings = (page: Page) => page.locator('.sections section h2').allTextContents();

describe("the owner's timeline scrubber in a real browser", { skip: browserSkip }, () => {
  let server: TestServer;
  let browser: LoopbackBrowser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    const dataDir = await makeTempDir();
    // Six cameras from 1998 to 2004, three GPS photos from 2008, and one photo without a date.
    const photos = Object.fromEntries(
      [
        ...['canon-ixus', 'fujifilm-dx10', 'kodak-dc240', 'nikon-e950', 'olympus-c960', 'sony-d700'].map((name) =>
          fixture('cameras', `${name}.jpg`),
        ),
        ...['DSCN0010', 'DSCN0021', 'DSCN0040'].map((name) => fixture('gps', `${name}.jpg`)),
        fixture('orientation', 'Landscape_1.jpg'),
      ].map((file) => [path.basename(file), { file, albums: [] }]),
    );
    await buildLibrary(dataDir, { albums: {}, photos });
    server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir, LIGHTBOX_WORKERS: '2', LIGHTBOX_TRUSTED_DOCUMENTS: 'only' });
    await processingSettled(server);
    browser = await launchLoopbackBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists every month with photos by year, jumps to an old one and back to the newest', async () => {
    const months = dataOf(await postGraphQL(server.url, Months, {}, server.admin)).timeline.filter((month) => month.start !== null);
    assert.ok(months.length >= 5, `the fixtures span ${months.length} months`);
    await page.goto(`${server.url}/library#token=${server.admin.authorization.slice('Bearer '.length)}`);
    const scrubber = page.getByRole('navigation', { name: 'Jump to a month' });
    await scrubber.getByRole('button').first().waitFor();
    assert.deepEqual(
      await scrubber.getByRole('button').evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-start'))),
      months.map((month) => month.start),
      'one button per month with photos, newest first',
    );
    const years = [...new Set(months.map((month) => (month.start as string).slice(0, 4)))];
    assert.deepEqual(await scrubber.locator('.year').allTextContents(), years);
    await page.locator('.sections li.tile').first().waitFor();
    const newestHeading = (await sectionHeadings(page))[0];
    await libraryScreenshots(page, 'timeline-scrubber');

    // The oldest month: its photos come first, nothing newer is listed.
    const oldest = months.at(-1) as (typeof months)[number];
    const oldestName = new Date(oldest.start as string).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
    await scrubber.getByRole('button', { name: `${oldestName}: ${oldest.count} photo${oldest.count === 1 ? '' : 's'}` }).click();
    const back = page.getByRole('button', { name: 'Back to the newest photos' });
    await back.waitFor();
    await page.waitForFunction((name) => document.querySelector('.sections section h2')?.textContent === name, oldestName);
    assert.deepEqual(await sectionHeadings(page), [oldestName], 'only the oldest month is left before it');
    assert.equal(await page.locator('.sections li.tile').count(), oldest.count);

    // A month in the middle: it and everything older.
    const middle = months[Math.floor(months.length / 2)] as (typeof months)[number];
    await scrubber.locator(`button[data-start="${middle.start}"]`).click();
    const older = months.filter((month) => (month.start as string) <= (middle.start as string));
    await page.waitForFunction(
      (count) => document.querySelectorAll('.sections li.tile').length === count,
      older.reduce((sum, month) => sum + month.count, 0),
    );

    await back.click();
    await page.waitForFunction((name) => document.querySelector('.sections section h2')?.textContent === name, newestHeading ?? '');
    assert.ok(await back.isHidden());
    assert.deepEqual(problems, []);
  });

  it('marks a favourite and stars on the photo page and many favourites from the timeline, then shows only favourites', async () => {
    await page.locator('.sections li.tile a').first().click();
    const favorite = page.getByRole('button', { name: '☆ Favourite' });
    await favorite.click();
    await page.getByRole('button', { name: '★ Favourite' }).waitFor();
    assert.equal(await page.getByRole('button', { name: '★ Favourite' }).getAttribute('aria-pressed'), 'true');
    await page.getByLabel('Stars').selectOption('3');
    await page.getByText('3 stars', { exact: true }).waitFor({ state: 'attached' });
    await libraryScreenshots(page, 'photo-curated');
    const starred = dataOf(await postGraphQL(server.url, Curated, {}, server.admin)).photos.nodes.filter((photo) => photo.favorite);
    assert.deepEqual(
      starred.map((photo) => photo.rating),
      [3],
      'the one favourite has its three stars',
    );

    await page.getByRole('link', { name: 'All photos', exact: true }).click();
    const boxes = page.locator('.sections li.tile input.select');
    await boxes.nth(3).check();
    await boxes.nth(4).check();
    await page.getByRole('button', { name: 'Mark favourites' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.sections .favorite-mark').length === 3);
    await page.getByLabel('Show').selectOption('favorites');
    await page.waitForFunction(() => document.querySelectorAll('.sections li.tile').length === 3);
    const favourites = dataOf(await postGraphQL(server.url, Curated, { filter: { favorite: true } }, server.admin)).photos;
    assert.equal(favourites.totalCount, 3);
    await page.getByText('3 photos').waitFor();
    // The scrubber is read again for favourites only: its months are the favourites' dated months.
    const datedFavourites = dataOf(await postGraphQL(server.url, Months, { filter: { favorite: true } }, server.admin))
      .timeline.filter((month) => month.start !== null)
      .reduce((sum, month) => sum + month.count, 0);
    assert.ok(datedFavourites >= 2);
    await page.waitForFunction(
      (want) =>
        [...document.querySelectorAll('nav.scrubber button')].reduce(
          (sum, button) => sum + Number(/: (\d+)$/.exec(button.getAttribute('title') ?? '')?.[1] ?? 0),
          0,
        ) === want,
      datedFavourites,
    );
    await page.getByLabel('Show').selectOption('all');
    assert.deepEqual(problems, []);
  });
});
