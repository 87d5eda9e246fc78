import { createHash } from 'node:crypto';
import type { Cover, Tile } from './queries.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

/**
 * Each page's placeholder colours, as classes in one `<style>` block that the page's CSP allows
 * by its hash: no inline `style` attribute, no `unsafe-inline`.
 */
export class Placeholders {
  private readonly colours = new Set<string>();

  classFor(colour: string | null | undefined): string | undefined {
    if (colour === null || colour === undefined || !HEX_COLOUR.test(colour)) return undefined;
    const lower = colour.toLowerCase();
    this.colours.add(lower);
    return `c-${lower.slice(1)}`;
  }

  css(): string {
    return [...this.colours].map((colour) => `.c-${colour.slice(1)}{background-color:${colour}}`).join('');
  }
}

/**
 * Each page's photo shapes, as classes setting `--r` (width ÷ height, to two places) in the same
 * hashed `<style>` block: the justified grid sizes every tile from it before any image arrives.
 * At most one class per shape on the page, so a 48-photo page adds at most 48 short rules.
 */
export class AspectRatios {
  private readonly ratios = new Set<number>();

  classFor(width: number, height: number): string | undefined {
    if (!(width > 0 && height > 0)) return undefined;
    const hundredths = Math.min(1000, Math.max(10, Math.round((width / height) * 100)));
    this.ratios.add(hundredths);
    return `r-${hundredths}`;
  }

  css(): string {
    return [...this.ratios].map((hundredths) => `.r-${hundredths}{--r:${hundredths / 100}}`).join('');
  }
}

/**
 * The line under a photo in the lightbox: when it was taken (as the camera wrote it, to the
 * minute) and with what; empty where the viewer may see neither. gallery.js writes the same.
 */
export function captureLine(photo: Pick<Tile, 'takenAt' | 'camera'>): string {
  const taken = photo.takenAt === null ? '' : photo.takenAt.replace('T', ' ').slice(0, 16);
  const camera = [photo.camera?.make, photo.camera?.model].filter((part) => part).join(' ');
  return [taken, camera].filter((part) => part !== '').join(' · ');
}

export interface TileOptions {
  href: string;
  /** Shown under the picture (album title and count on the home page). */
  caption?: string;
  /** The first tiles load at once, the first of all with high priority; the rest when scrolled near. */
  index: number;
  placeholders: Placeholders;
}

const TILE_SIZES = '(max-width: 40rem) 50vw, 15rem';
const EAGER_TILES = 8;

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(String(value))}"`)
    .join('');
}

/** An album's cover on the home page, a square crop; the page's script builds the same markup for the covers it adds (assets/gallery.js). */
export function coverHtml(photo: Cover, options: TileOptions): string {
  const alt = photo.description || photo.title;
  const smallWidth = photo.small.width;
  const srcset = (thumb: string, small: string) => `${thumb} 256w, ${small} ${smallWidth}w`;
  const img = attributes({
    src: photo.thumb.url,
    srcset: srcset(photo.thumb.url, photo.small.url),
    sizes: TILE_SIZES,
    width: photo.thumb.width,
    height: photo.thumb.height,
    alt,
    loading: options.index < EAGER_TILES ? undefined : 'lazy',
    fetchpriority: options.index === 0 ? 'high' : undefined,
    decoding: 'async',
    class: options.placeholders.classFor(photo.placeholder?.dominantColor),
  });
  const caption = options.caption ?? '';
  return (
    `<li><a${attributes({ href: options.href })}><picture>` +
    `<source type="image/webp"${attributes({ srcset: srcset(photo.thumbWebp.url, photo.smallWebp.url), sizes: TILE_SIZES })}>` +
    `<img${img}></picture>${caption}</a></li>`
  );
}

/** How wide a justified tile may show at most: a row is about 14rem (224 px) tall and may stretch half again. */
const TALLEST_ROW_PX = 336;

/** The `sizes` of a justified tile: its row height times its shape, never wider than the window. */
export function justifiedSizes(width: number, height: number): string {
  return `min(100vw, ${Math.ceil((TALLEST_ROW_PX * width) / height)}px)`;
}

/**
 * One photo in an album's justified grid (rows of photos at their own aspect, as its `--r`
 * class sizes it), carrying what the lightbox shows. The page's script builds the same markup
 * for the tiles it adds (assets/gallery.js).
 */
export function photoTileHtml(photo: Tile, options: TileOptions & { ratios: AspectRatios }): string {
  const alt = photo.description || photo.title;
  const { small, medium } = photo;
  const sizes = justifiedSizes(small.width, small.height);
  const img = attributes({
    src: small.url,
    srcset: `${small.url} ${small.width}w, ${medium.url} ${medium.width}w`,
    sizes,
    width: small.width,
    height: small.height,
    alt,
    loading: options.index < EAGER_TILES ? undefined : 'lazy',
    fetchpriority: options.index === 0 ? 'high' : undefined,
    decoding: 'async',
    class: options.placeholders.classFor(photo.placeholder?.dominantColor),
  });
  return (
    `<li${attributes({ class: options.ratios.classFor(small.width, small.height) })}><a${attributes({
      href: options.href,
      'data-full': photo.large.url,
      'data-srcset': photo.webp,
      'data-width': String(photo.large.width),
      'data-height': String(photo.large.height),
      'data-alt': alt,
      'data-title': photo.title,
      'data-line': captureLine(photo) || undefined,
      'data-download': photo.original.url,
    })}><picture>` +
    `<source type="image/webp"${attributes({ srcset: `${photo.smallWebp.url} ${small.width}w, ${photo.mediumWebp.url} ${medium.width}w`, sizes })}>` +
    `<img${img}></picture></a></li>`
  );
}

export interface PageShell {
  title: string;
  /** Marks `<main>` for the script: which page this is, and what it needs to fetch more. */
  main: Record<string, string | undefined>;
  body: string;
  placeholders?: Placeholders;
  ratios?: AspectRatios;
  /** Rules this page alone needs, from values the server computed (never from a request): sent in its hashed style block. */
  css?: string;
  /** The document and variables that fetch the next page through /graphql (read by the script, never executed as script). */
  nextPage?: { query: string; variables: Record<string, unknown> };
  /** Where the site header links (the shared album for a share link's holder, who may not see the rest). */
  home?: { href: string; label: string };
  stylesheet: string;
  script: string;
  icon: string;
}

export interface RenderedPage {
  html: string;
  contentSecurityPolicy: string;
}

/**
 * The whole document and its Content-Security-Policy: scripts and styles from this origin only,
 * the page's one `<style>` block by its hash, images from this origin, requests to this origin.
 */
export function renderPage(page: PageShell): RenderedPage {
  const css = (page.placeholders?.css() ?? '') + (page.ratios?.css() ?? '') + (page.css ?? '');
  const styleHash = css === '' ? '' : ` 'sha256-${createHash('sha256').update(css).digest('base64')}'`;
  const next =
    page.nextPage === undefined
      ? ''
      : `<script type="application/json" id="next-page">${JSON.stringify(page.nextPage).replace(/</g, '\\u003c')}</script>`;
  const home = page.home ?? { href: '/', label: 'Lightbox' };
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(page.title)}</title><link rel="icon" href="${escapeHtml(page.icon)}" type="image/svg+xml"><link rel="stylesheet" href="${escapeHtml(page.stylesheet)}">${css === '' ? '' : `<style>${css}</style>`}
<script src="${escapeHtml(page.script)}" defer></script></head>
<body><header><a href="${escapeHtml(home.href)}">${escapeHtml(home.label)}</a></header>
<main${attributes(page.main)}>${page.body}</main>${next}</body></html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${styleHash}`,
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
