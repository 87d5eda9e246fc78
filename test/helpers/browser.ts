import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium: the binary itself first (the /usr/bin wrapper is a shell script), or CHROMIUM_PATH. */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const chromiumPath = CANDIDATES.find((candidate): candidate is string => candidate !== undefined && existsSync(candidate));

/** Skipped on a developer's machine without Chromium; CI installs it (.ci/run), so there it always runs. */
export const browserSkip = chromiumPath !== undefined || process.env.CI ? false : 'Chromium is not installed (apt-get install chromium)';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface LoopbackBrowser {
  browser: Browser;
  context: BrowserContext;
  /** Every request the page or its workers tried to send anywhere but loopback (all of them refused). */
  outside: string[];
  close(): Promise<void>;
}

/**
 * Headless Chromium whose network reaches loopback only: every other address goes to a dead
 * proxy (Chromium never proxies loopback), and each such request is recorded and aborted first.
 */
export async function launchLoopbackBrowser(): Promise<LoopbackBrowser> {
  if (chromiumPath === undefined) {
    throw new Error('Chromium is not installed: apt-get install -y chromium (Debian), or set CHROMIUM_PATH');
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--proxy-server=http://127.0.0.1:9', '--disable-background-networking', '--no-first-run'],
  });
  const context = await browser.newContext();
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOOPBACK_HOSTS.has(url.hostname)) return route.continue();
    outside.push(url.href);
    return route.abort('blockedbyclient');
  });
  return { browser, context, outside, close: () => browser.close() };
}

/**
 * Text on the page whose colour against its background is below WCAG AA (4.5:1, or 3:1 for
 * large text). Text over an image is left out: its background is not a colour. Plain JavaScript
 * in a string: tsx would wrap named functions in a helper the page does not have.
 */
const CONTRAST_FAILURES = `(() => {
  const rgba = (value) => {
    const parts = (value.match(/[\\d.]+/g) || []).map(Number);
    return { r: parts[0] || 0, g: parts[1] || 0, b: parts[2] || 0, a: parts[3] === undefined ? 1 : parts[3] };
  };
  const linear = (channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = ({ r, g, b }) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  const failures = [];
  for (const element of document.querySelectorAll('body *')) {
    const ownText = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
    if (!ownText || element.getClientRects().length === 0 || element.matches(':disabled')) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden' || style.opacity === '0') continue;
    let background = null;
    for (let at = element; at; at = at.parentElement) {
      const own = getComputedStyle(at);
      if (own.backgroundImage !== 'none' || at.tagName === 'IMG') break;
      const colour = rgba(own.backgroundColor);
      if (colour.a > 0.9) {
        background = colour;
        break;
      }
      if (at === document.body) background = { r: 255, g: 255, b: 255, a: 1 };
    }
    if (!background) continue;
    const [lighter, darker] = [luminance(rgba(style.color)), luminance(background)].sort((x, y) => y - x);
    const ratio = (lighter + 0.05) / (darker + 0.05);
    const size = Number.parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push('"' + element.textContent.trim().slice(0, 40) + '": ' + ratio.toFixed(2) + ':1');
  }
  return failures;
})()`;

export function contrastFailures(page: Page): Promise<string[]> {
  return page.evaluate(CONTRAST_FAILURES);
}

/** Where screenshots go for a person to look at (ignored by git). */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots', import.meta.url));

/**
 * The owner's app page at 360 and 1440 px, saved as test-output/screenshots/library-<name>-<width>.png,
 * after checking that nothing is wider than the screen and every text meets WCAG AA contrast.
 */
export async function libraryScreenshots(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [360, 1440]) {
    await page.setViewportSize({ width, height: width === 360 ? 740 : 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} at ${width}px: nothing wider than the screen (${overflow}px over)`);
    assert.deepEqual(await contrastFailures(page), [], `${name} at ${width}px: every text meets WCAG AA contrast`);
    await page.screenshot({ path: path.join(SCREENSHOTS, `library-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}
