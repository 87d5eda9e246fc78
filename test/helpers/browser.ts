import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

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
