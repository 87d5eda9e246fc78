import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { graphql } from './generated/index.ts';
import { browserSkip, type LoopbackBrowser, launchLoopbackBrowser, libraryScreenshots, SCREENSHOTS } from './helpers/browser.ts';
import { FIXTURE_PHOTOS, LIGHTBOX_BIN, REPO_ROOT } from './helpers/cli.ts';
import { startCuttableLink } from './helpers/cuttable-link.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

/** Generous: a cold worker process decodes a HEIC in WebAssembly on a shared 2-core machine. */
const PROCESSING_MS = 120_000;

const AlbumOrder = graphql(`
  query AppAlbumOrder($id: ID!) {
    album(id: $id) {
      title
      visibility
      cover {
        id
      }
      photos(first: 10) {
        nodes {
          id
          title
        }
      }
    }
  }
`);

const PhotoCount = graphql(`
  query AppPhotoCount {
    photos(first: 1) {
      totalCount
    }
  }
`);

const CreateAlbumElsewhere = graphql(`
  mutation AppCreateAlbumElsewhere($input: CreateAlbumInput!) {
    createAlbum(input: $input) {
      __typename
    }
  }
`);

/** Every tile of the timeline shows its thumbnail, decoded. */
async function thumbnailsShown(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      [...document.querySelectorAll<HTMLImageElement>('.sections li.tile img')].filter((img) => img.complete && img.naturalWidth > 0)
        .length,
  );
}

/** Waits for `locator`; if it never shows, the failure says what the page said instead (its alert, its main text). */
async function shows(page: Page, locator: ReturnType<Page['getByText']>): Promise<void> {
  try {
    // Longer than Playwright's 30 s: the whole suite shares two cores with Chromium and a worker process.
    await locator.waitFor({ timeout: 60_000 });
  } catch (error) {
    const said = await page.evaluate(() => ({
      alert: document.getElementById('alert')?.textContent ?? '',
      dialog: document.querySelector('dialog[open]')?.textContent ?? '',
      main: document.querySelector('main')?.textContent?.slice(0, 500) ?? '',
      url: location.pathname,
    }));
    throw new Error(`${(error as Error).message.split('\n')[0]}; the page said ${JSON.stringify(said)}`);
  }
}

/** Presses Tab until the focused element's text starts with `name` (at most 40 times); says whether focus shows. */
async function tabTo(page: Page, name: string): Promise<{ outline: string }> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      const text = element?.getAttribute('aria-label') ?? element?.textContent?.trim() ?? '';
      return { text, outline: element ? getComputedStyle(element).outlineStyle : 'none' };
    });
    if (focused.text.startsWith(name)) return { outline: focused.outline };
  }
  throw new Error(`Tab never reached "${name}"`);
}

describe("the owner's app in a real browser, with a separate worker process", { skip: browserSkip }, () => {
  let server: TestServer;
  let browser: LoopbackBrowser;
  let owner: Page;
  let worker: ChildProcess | undefined;
  let files: string[];
  const problems: string[] = [];
  const token = () => server.admin.authorization.slice('Bearer '.length);

  before(async () => {
    // The app's documents are trusted ones: it works with nothing else allowed.
    server = await startTestServer({ LIGHTBOX_TRUSTED_DOCUMENTS: 'only', LIGHTBOX_PUBLIC_URL: 'http://photos.example.test' });
    const dir = await makeTempDir();
    const notAPhoto = path.join(dir, 'notes.jpg');
    await writeFile(notAPhoto, 'just some text, named like a photo\n');
    const duplicate = path.join(dir, 'copy-of-DSCN0010.jpg');
    await copyFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), duplicate);
    files = [
      path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'),
      path.join(FIXTURE_PHOTOS, 'orientation', 'Landscape_1.jpg'),
      path.join(FIXTURE_PHOTOS, 'heic', 'landscape-1.heic'),
      duplicate,
      notAPhoto,
    ];
    browser = await launchLoopbackBrowser();
    owner = await browser.context.newPage();
    owner.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    owner.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await owner.setViewportSize({ width: 1440, height: 900 });
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    worker?.kill('SIGTERM');
    await browser?.close();
    await server?.close();
  });

  it('signs in: a wrong token is refused and said so; the right one is kept by the browser, never in a cookie', async () => {
    await owner.goto(`${server.url}/library`);
    const field = owner.getByLabel('Admin token');
    await field.fill('not-the-token-at-all-0123456789');
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.getByText('That is not this server’s admin token.').waitFor();
    // Chromium logs every 401 answer to the console; this one was asked for.
    problems.splice(0, problems.length, ...problems.filter((problem) => !problem.includes('status of 401')));
    await field.fill(token());
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.getByRole('heading', { name: 'All photos' }).waitFor();
    assert.equal(await owner.evaluate(() => localStorage.getItem('lightbox.token')), token());
    assert.deepEqual(await browser.context.cookies(), []);
    const html = await (await fetch(`${server.url}/library`)).text();
    assert.ok(!html.includes(token()), 'the page itself holds nothing private');
  });

  it('the link printed at start signs in from its fragment, which is then taken out of the address bar', async () => {
    // A browser that never signed in.
    const fresh = await browser.browser.newContext();
    const page = await fresh.newPage();
    await page.goto(`${server.url}/library#token=${token()}`);
    await page.getByRole('heading', { name: 'All photos' }).waitFor();
    assert.equal(new URL(page.url()).hash, '');
    await fresh.close();
  });

  it('uploads five files: three added, the duplicate and the text file reported with the reason; placeholders turn into thumbnails without a reload when a worker process runs', async () => {
    await owner.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const chooser = owner.waitForEvent('filechooser');
    await owner.getByText('Upload photos').click();
    await (await chooser).setFiles(files);
    const panel = owner.getByRole('region', { name: 'Uploads' });
    await panel.getByText('5 of 5 finished').waitFor();
    assert.equal(await panel.getByText('Added', { exact: true }).count(), 3);
    await panel.getByText('Already in your library').waitFor();
    await panel.getByText(/^Refused: /).waitFor();
    assert.ok(await panel.getByRole('button', { name: 'Retry notes.jpg' }).isVisible());

    // No worker yet: each new photo is there at once, as a placeholder.
    await owner.getByText('3 photos').waitFor();
    assert.equal(await owner.locator('.sections li.tile[data-status="PENDING"]').count(), 3);
    await libraryScreenshots(owner, 'uploaded');

    worker = spawn(process.execPath, [LIGHTBOX_BIN, 'worker'], {
      cwd: REPO_ROOT,
      env: { ...process.env, LIGHTBOX_DATA_DIR: server.dataDir, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    await owner.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLImageElement>('.sections li.tile img')].filter((img) => img.complete && img.naturalWidth > 0)
          .length === 3,
      undefined,
      { timeout: PROCESSING_MS },
    );
    assert.equal(await thumbnailsShown(owner), 3);
    assert.equal(await owner.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'no reload');
    await libraryScreenshots(owner, 'timeline');
  });

  let albumId = '';

  it('makes an album, adds two photos, reorders them by keyboard and by drag, sets the cover, publishes it; an anonymous visitor then sees it', async () => {
    await owner.getByRole('link', { name: 'Albums', exact: true }).click();
    await owner.getByRole('button', { name: 'New album' }).click();
    const dialog = owner.getByRole('dialog', { name: 'New album' });
    // Focus stays in the dialog however far one tabs.
    for (let i = 0; i < 8; i++) await owner.keyboard.press('Tab');
    assert.equal(await owner.evaluate(() => document.activeElement?.closest('dialog') !== null), true, 'focus is trapped in the dialog');
    await dialog.getByLabel('Title').fill('Trip');
    await dialog.getByRole('button', { name: 'Create album' }).click();
    await owner.getByRole('heading', { name: 'Trip', level: 1 }).waitFor();
    albumId = decodeURIComponent(new URL(owner.url()).pathname.split('/').pop() as string);

    await owner.getByRole('link', { name: 'All photos' }).click();
    await owner.getByRole('checkbox', { name: 'Select DSCN0010' }).check();
    await owner.getByRole('checkbox', { name: 'Select Landscape_1' }).check();
    await owner.getByRole('button', { name: 'Add to album…' }).click();
    const add = owner.getByRole('dialog', { name: 'Add 2 photos to an album' });
    await add.getByLabel('Album', { exact: true }).selectOption({ label: 'Trip' });
    await add.getByRole('button', { name: 'Add' }).click();
    await owner.getByRole('heading', { name: 'Trip', level: 1 }).waitFor();
    await owner.getByText('2 photos', { exact: true }).waitFor();

    const order = async () =>
      dataOf(await postGraphQL(server.url, AlbumOrder, { id: albumId }, server.admin)).album?.photos.nodes.map((photo) => photo.title);
    const first = (await order())?.[0] as string;
    const second = (await order())?.[1] as string;
    // Keyboard: the first photo's link focused, Alt+→ moves it one later.
    await owner.locator('.album-photos li.tile a').first().focus();
    await owner.keyboard.press('Alt+ArrowRight');
    await owner.getByText('Moved to position 2 of 2').waitFor();
    assert.deepEqual(await order(), [second, first]);
    // A new album goes by date taken; the move made it the owner's order, and the menu says so.
    // By date taken again, then back to the arrangement, which was kept.
    const orderMenu = owner.getByLabel('Order', { exact: true });
    assert.equal(await orderMenu.inputValue(), 'MANUAL');
    assert.deepEqual([first, second], ['DSCN0010', 'Landscape_1'], 'the album started by date taken (DSCN0010 has one, Landscape_1 none)');
    await orderMenu.selectOption('TAKEN_AT');
    await owner.getByText('Photos by date taken').waitFor();
    assert.deepEqual(await order(), [first, second]);
    await owner.waitForFunction(
      (expected) =>
        JSON.stringify([...document.querySelectorAll('.album-photos li.tile img')].map((image) => image.getAttribute('alt'))) ===
        JSON.stringify(expected),
      [first, second],
    );
    await owner.getByLabel('Order', { exact: true }).selectOption('MANUAL');
    await owner.getByText('Photos in your order').waitFor();
    assert.deepEqual(await order(), [second, first]);
    // Mouse: drag it back to the front.
    await owner.locator(`.album-photos li.tile[data-id]`).nth(1).dragTo(owner.locator('.album-photos li.tile').first());
    await owner.getByText('Moved to position 1 of 2').waitFor();
    assert.deepEqual(await order(), [first, second]);

    await owner.getByRole('checkbox', { name: `Select ${second}` }).check();
    await owner.getByRole('button', { name: 'Set as cover' }).click();
    await owner.getByText('Cover set').waitFor();
    const album = dataOf(await postGraphQL(server.url, AlbumOrder, { id: albumId }, server.admin)).album;
    assert.equal(album?.cover?.id, (await owner.locator('.album-photos li.tile').nth(1).getAttribute('data-id')) ?? '');

    await owner.getByText('Private: only you').waitFor();
    await owner.getByRole('button', { name: 'Publish' }).click();
    await owner.getByText('Public: anyone who opens').waitFor();
    await libraryScreenshots(owner, 'album');

    const visitor = await browser.browser.newContext();
    const page = await visitor.newPage();
    await page.goto(`${server.url}/`);
    assert.deepEqual(await page.locator('.albums .title').allTextContents(), ['Trip']);
    await visitor.close();
  });

  it('a keyboard alone reaches the albums, an album and its photos, and focus always shows where it is', async () => {
    await owner.goto(`${server.url}/library`);
    await owner.getByRole('heading', { name: 'All photos' }).waitFor();
    assert.notEqual((await tabTo(owner, 'Albums')).outline, 'none');
    await owner.keyboard.press('Enter');
    await owner.getByRole('heading', { name: 'Albums', level: 1 }).waitFor();
    assert.notEqual((await tabTo(owner, 'Trip')).outline, 'none');
    await owner.keyboard.press('Enter');
    await owner.getByRole('heading', { name: 'Trip', level: 1 }).waitFor();
    const box = await tabTo(owner, 'Select DSCN0010');
    assert.notEqual(box.outline, 'none');
    await owner.keyboard.press('Space');
    await owner.getByText('1 selected').waitFor();
    await owner.keyboard.press('Space');
  });

  it('makes a password share link with an absolute address; a third browser opens it with the password; revoked, it stops', async () => {
    await owner.getByRole('button', { name: 'New share link' }).click();
    const dialog = owner.getByRole('dialog', { name: 'Share Trip' });
    await dialog.getByLabel('Label (only you see it)').fill('for Ann');
    await dialog.getByLabel('Password (optional)').fill('open sesame');
    await dialog.getByRole('button', { name: 'Make link' }).click();
    const address = await dialog.getByLabel('Share link address').inputValue();
    assert.match(address, /^http:\/\/photos\.example\.test\/s\/[A-Za-z0-9_-]{32}$/, 'LIGHTBOX_PUBLIC_URL is the host');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await owner.getByText(/Active · 0 views/).waitFor();

    const guest = await browser.browser.newContext();
    const page = await guest.newPage();
    const local = `${server.url}${new URL(address).pathname}`;
    await page.goto(local);
    await page.getByLabel('Password').fill('open sesame');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { name: 'Trip' }).waitFor();
    assert.equal(await page.locator('ul.grid li').count(), 2);

    await owner.getByRole('button', { name: 'Revoke for Ann' }).click();
    await owner.getByRole('dialog', { name: 'Revoke for Ann?' }).getByRole('button', { name: 'Revoke link' }).click();
    await owner.getByText('Link revoked').waitFor();
    await owner.getByText(/^Revoked · /).waitFor();
    const gone = await page.goto(local);
    assert.equal(gone?.status(), 404);
    await page.getByText('This link does not open anything').waitFor();
    await guest.close();
  });

  it('rotates a photo: the new rendition is turned, under a new address', async () => {
    await owner.locator('.album-photos li.tile a').first().click();
    const large = owner.locator('img.large');
    await large.waitFor();
    await owner.waitForFunction(() => (document.querySelector('img.large') as HTMLImageElement | null)?.naturalWidth);
    const before = await large.evaluate((img: HTMLImageElement) => ({ src: img.src, width: img.naturalWidth, height: img.naturalHeight }));
    await owner.getByRole('button', { name: 'Rotate right' }).click();
    await owner.getByText('Turned right').waitFor();
    await owner.waitForFunction((src) => {
      const img = document.querySelector('img.large') as HTMLImageElement | null;
      return img !== null && img.src !== src && img.complete && img.naturalWidth > 0;
    }, before.src);
    const now = await large.evaluate((img: HTMLImageElement) => ({ src: img.src, width: img.naturalWidth, height: img.naturalHeight }));
    assert.deepEqual({ width: now.width, height: now.height }, { width: before.height, height: before.width });
    assert.deepEqual(await owner.locator('.in-albums a').allTextContents(), ['Trip'], 'the albums it is in, named, after the turn too');
    await libraryScreenshots(owner, 'photo');
  });

  it('edits a title in place; a failed change shows the typed error', async () => {
    const title = owner.getByLabel('Title', { exact: true });
    await title.fill('   ');
    await owner.getByRole('button', { name: 'Save' }).click();
    await owner.getByRole('alert').getByText('title must not be empty').waitFor();
    await title.fill('Waterfall');
    await owner.getByRole('button', { name: 'Save' }).click();
    await owner.getByRole('heading', { name: 'Waterfall', level: 1 }).waitFor();
  });

  it('renames and describes the album, uploads into it from its page, deletes it after asking (its photos stay), deletes a photo after asking', async () => {
    await owner.getByRole('link', { name: 'Albums', exact: true }).click();
    await owner.getByRole('link', { name: /^Trip/ }).click();
    await owner.getByRole('button', { name: 'Edit title and description' }).click();
    await owner.getByLabel('Title', { exact: true }).fill('Trip to the falls');
    await owner.getByLabel('Description', { exact: true }).fill('Two days, one waterfall');
    await owner.getByRole('button', { name: 'Save' }).click();
    await owner.getByRole('heading', { name: 'Trip to the falls', level: 1 }).waitFor();
    await owner.getByText('Two days, one waterfall').waitFor();

    const chooser = owner.waitForEvent('filechooser');
    await owner.getByText('Upload to this album').click();
    await (await chooser).setFiles(path.join(FIXTURE_PHOTOS, 'orientation', 'Portrait_6.jpg'));
    await owner.getByText('3 photos', { exact: true }).waitFor();
    assert.equal(await owner.locator('.album-photos li.tile').count(), 3);

    await owner.getByRole('button', { name: 'Delete album…' }).click();
    await owner.getByRole('dialog', { name: 'Delete the album Trip to the falls?' }).getByRole('button', { name: 'Delete album' }).click();
    await shows(owner, owner.getByRole('heading', { name: 'Albums', level: 1 }));
    await shows(owner, owner.getByText('No albums yet.'));
    assert.equal(dataOf(await postGraphQL(server.url, PhotoCount, {}, server.admin)).photos.totalCount, 4, 'its photos stay');

    await owner.getByRole('link', { name: 'All photos' }).click();
    await owner.locator('.sections li.tile a', { hasText: 'Portrait_6' }).click();
    await owner.getByRole('button', { name: 'Delete photo…' }).click();
    const ask = owner.getByRole('dialog', { name: 'Delete Portrait_6?' });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(dataOf(await postGraphQL(server.url, PhotoCount, {}, server.admin)).photos.totalCount, 4, 'Cancel deletes nothing');
    await owner.getByRole('button', { name: 'Delete photo…' }).click();
    await ask.getByRole('button', { name: 'Delete photo' }).click();
    await owner.getByText('3 photos', { exact: true }).waitFor();
    assert.equal(dataOf(await postGraphQL(server.url, PhotoCount, {}, server.admin)).photos.totalCount, 3);
  });

  it('signs out: the token is forgotten and nothing private is left on the page', async () => {
    await owner.getByRole('button', { name: 'Sign out' }).click();
    await owner.getByRole('heading', { name: 'Sign in to your library' }).waitFor();
    assert.equal(await owner.evaluate(() => localStorage.getItem('lightbox.token')), null);
    const text = (await owner.locator('body').textContent()) ?? '';
    assert.ok(!text.includes('Trip') && !text.includes('Waterfall') && !text.includes('DSCN0010'), text);
    await owner.reload();
    await owner.getByRole('heading', { name: 'Sign in to your library' }).waitFor();
  });

  it('nothing went to another origin, and no script error or CSP violation happened', () => {
    assert.deepEqual(browser.outside, []);
    assert.deepEqual(problems, []);
  });
});

describe("the owner's app when the connection is lost", { skip: browserSkip }, () => {
  let server: TestServer;
  let browser: LoopbackBrowser;
  let link: Awaited<ReturnType<typeof startCuttableLink>>;

  before(async () => {
    server = await startTestServer();
    link = await startCuttableLink(server.url);
    browser = await launchLoopbackBrowser();
  });

  after(async () => {
    await browser?.close();
    await link?.close();
    await server?.close();
  });

  it('says it is offline, refuses a change with the reason, and on return catches up with what happened meanwhile', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${link.url}/library/albums#token=${server.admin.authorization.slice('Bearer '.length)}`);
    await page.getByRole('heading', { name: 'Albums', level: 1 }).waitFor();
    await page.getByText('No albums yet', { exact: false }).waitFor();

    link.cut();
    await page.getByText('Offline: trying to reach the server again…').waitFor();
    await page.getByRole('button', { name: 'New album' }).click();
    const dialog = page.getByRole('dialog', { name: 'New album' });
    await dialog.getByLabel('Title').fill('Made offline');
    await dialog.getByRole('button', { name: 'Create album' }).click();
    await dialog.getByRole('alert').getByText('The server cannot be reached.', { exact: false }).waitFor();
    // Another client goes on changing the library while this one is cut off.
    dataOf(await postGraphQL(server.url, CreateAlbumElsewhere, { input: { title: 'Made elsewhere' } }, server.admin));

    link.mend();
    await page.getByRole('link', { name: 'Made elsewhere' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByText('Offline: trying to reach the server again…').count(), 0);
    await dialog.getByRole('button', { name: 'Create album' }).click();
    await page.getByRole('heading', { name: 'Made offline', level: 1 }).waitFor();
    await page.close();
  });
});
