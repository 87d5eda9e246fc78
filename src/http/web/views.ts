import { AspectRatios, coverHtml, escapeHtml, type PageShell, Placeholders, photoTileHtml, type TileOptions } from './html.ts';
import { ALBUM_PAGE, ALBUMS_PAGE, type AlbumPageData, type AlbumsPageData, type PhotoPageData, SHARED_PAGE } from './queries.ts';

/**
 * Each gallery page as the shell html.ts renders: from the answer to its query to its markup,
 * and nothing else (pages.ts decides which page, for whom, and with what status). The page's
 * stylesheet and script are the server's, added when it is sent.
 */
export type PageView = Omit<PageShell, 'stylesheet' | 'script' | 'icon'>;

/** What a share link's pages carry along: the prefix of every page under it, its header value and its unlock. */
export interface ShareLinks {
  base: string;
  header: string;
  unlock: string | undefined;
}

type FoundAlbum = NonNullable<AlbumPageData['album']>;
type FoundPhoto = NonNullable<PhotoPageData['photo']>;
type AlbumContext = PhotoPageData['album'];
type Step = { cursor: string; node: { id: string } } | undefined;

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function dateOf(takenAt: string): string {
  const [date, time] = takenAt.split('T');
  return `${date} ${time?.slice(0, 5) ?? ''}`.trim();
}

function withQuery(path: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

function pager(href: string, after: string | null, label: string): string {
  if (after === null) return '';
  return `<nav class="pager"><a rel="next" href="${escapeHtml(href)}" data-after="${escapeHtml(after)}">${label}</a></nav>`;
}

/** `/`: the public albums with a cover. */
export function albumsView(data: AlbumsPageData): PageView {
  const placeholders = new Placeholders();
  const tiles = data.page.edges
    .filter((edge) => edge.node.cover !== null)
    .map((edge, index) => {
      const album = edge.node;
      const caption = `<span class="title">${escapeHtml(album.title)}</span><span class="muted">${plural(album.photoCount, 'photo')}</span>`;
      const options: TileOptions = { href: `/albums/${encodeURIComponent(album.id)}`, caption, index, placeholders };
      return coverHtml(album.cover as NonNullable<typeof album.cover>, options);
    });
  const { hasNextPage, endCursor } = data.page.pageInfo;
  const body =
    tiles.length === 0
      ? '<h1>Albums</h1><p>No public albums yet.</p>'
      : `<h1>Albums</h1><ul class="grid albums">${tiles.join('')}</ul>${hasNextPage ? pager(withQuery('/', { after: endCursor ?? undefined }), endCursor, 'More albums') : ''}`;
  return {
    title: 'Albums',
    main: { 'data-page': 'albums' },
    body,
    placeholders,
    nextPage: hasNextPage ? { query: ALBUMS_PAGE, variables: {} } : undefined,
  };
}

/** A grid of an album's photos: a public album at /albums/<id>, a shared one (`share`) at /s/<token>. */
export function albumView(found: FoundAlbum, share: ShareLinks | undefined): PageView {
  const placeholders = new Placeholders();
  const ratios = new AspectRatios();
  const photoBase = share === undefined ? '/photos/' : `${share.base}/photos/`;
  const tiles = found.page.edges.map((edge, index) =>
    photoTileHtml(edge.node, {
      href: withQuery(`${photoBase}${encodeURIComponent(edge.node.id)}`, {
        album: share === undefined ? found.id : undefined,
        at: edge.cursor,
        unlock: share?.unlock,
      }),
      index,
      placeholders,
      ratios,
    }),
  );
  const { hasNextPage, endCursor } = found.page.pageInfo;
  const here = share === undefined ? `/albums/${encodeURIComponent(found.id)}` : share.base;
  const description = found.description === '' ? '' : `<p>${escapeHtml(found.description)}</p>`;
  const shared = share === undefined ? '' : ', shared with you';
  // A plain link: the signed URL is the credential, as a browser sends no header with a download.
  const download = found.download ? ` · <a href="${escapeHtml(found.download.url)}" download>Download album</a>` : '';
  const body = `<h1>${escapeHtml(found.title)}</h1>${description}<p class="muted">${plural(found.photoCount, 'photo')}${shared}${download}</p><ul class="grid justified">${tiles.join('')}</ul>${
    hasNextPage ? pager(withQuery(here, { unlock: share?.unlock, after: endCursor ?? undefined }), endCursor, 'More photos') : ''
  }`;
  return {
    title: found.title,
    main: {
      'data-page': share === undefined ? 'album' : 'shared',
      'data-album': found.id,
      'data-count': String(found.photoCount),
      'data-share': share?.header,
      'data-unlock': share?.unlock,
    },
    body,
    placeholders,
    ratios,
    home: share === undefined ? undefined : { href: withQuery(share.base, { unlock: share.unlock }), label: found.title },
    nextPage: hasNextPage
      ? { query: share === undefined ? ALBUM_PAGE : SHARED_PAGE, variables: share === undefined ? { id: found.id } : {} }
      : undefined,
  };
}

/** One photo, large, with what is known of its capture; `album` (when the page was opened from one) gives previous and next. */
export function photoView(found: FoundPhoto, album: AlbumContext, share: ShareLinks | undefined): PageView {
  const placeholders = new Placeholders();
  const alt = found.description || found.title;
  const sizes = `(max-width: ${found.large.width}px) 100vw, ${found.large.width}px`;
  const picture =
    `<picture><source type="image/avif" srcset="${escapeHtml(found.avif)}" sizes="${sizes}"><source type="image/webp" srcset="${escapeHtml(found.webp)}" sizes="${sizes}">` +
    `<img src="${escapeHtml(found.large.url)}" srcset="${escapeHtml(found.jpg)}" sizes="${sizes}" width="${found.large.width}" height="${found.large.height}" alt="${escapeHtml(alt)}" fetchpriority="high" decoding="async"${
      placeholders.classFor(found.placeholder?.dominantColor) ? ` class="${placeholders.classFor(found.placeholder?.dominantColor)}"` : ''
    }></picture>`;
  // Never wider than the rendition (no 640×480 photo blown up), and never so wide that its height
  // passes 85% of the window: the box is the picture's own shape, so nothing letterboxes it.
  const ratio = found.large.width / found.large.height;
  const fit = Number.isFinite(ratio) && ratio > 0 ? `.photo img{max-width:min(100%,calc(85vh * ${ratio.toFixed(4)}))}` : '';
  const facts = captureFacts(found);
  const up =
    share !== undefined
      ? withQuery(share.base, { unlock: share.unlock })
      : album !== null && album !== undefined
        ? `/albums/${encodeURIComponent(album.id)}`
        : undefined;
  const nav =
    album !== null && album !== undefined
      ? `<nav class="pager">${stepLink(album.previous.edges[0], 'prev', '← Previous', album.id, share)}<a rel="up" href="${escapeHtml(up ?? '/')}">${escapeHtml(album.title)}</a>${stepLink(album.next.edges[0], 'next', 'Next →', album.id, share)}</nav>`
      : up === undefined
        ? ''
        : `<nav class="pager"><a rel="up" href="${escapeHtml(up)}">Back to the album</a></nav>`;
  const description = found.description === '' ? '' : `<p>${escapeHtml(found.description)}</p>`;
  const body = `<article class="photo"><figure>${picture}<figcaption><h1>${escapeHtml(found.title)}</h1>${description}${
    facts.length === 0 ? '' : `<p class="muted">${facts.join(' · ')}</p>`
  }</figcaption></figure>${nav}</article>`;
  return {
    title: found.title,
    main: { 'data-page': 'photo', 'data-share': share?.header },
    body,
    placeholders,
    css: fit,
    home: share === undefined ? undefined : { href: up ?? share.base, label: album?.title ?? 'Shared album' },
  };
}

/** When, with what, and how a photo was taken, each as far as it is known (escaped). */
function captureFacts(found: FoundPhoto): string[] {
  const facts: string[] = [];
  if (found.takenAt !== null) facts.push(`Taken ${escapeHtml(dateOf(found.takenAt))}`);
  const camera = [found.camera?.make, found.camera?.model].filter((part) => part).join(' ');
  if (camera !== '') facts.push(escapeHtml(camera));
  const exposure = found.exposure;
  if (exposure !== null) {
    const parts = [
      exposure.shutterSpeed && `${exposure.shutterSpeed} s`,
      exposure.fNumber && `f/${exposure.fNumber}`,
      exposure.iso && `ISO ${exposure.iso}`,
      exposure.focalLength && `${exposure.focalLength} mm`,
    ];
    const text = parts.filter((part) => part).join(' · ');
    if (text !== '') facts.push(escapeHtml(text));
  }
  return facts;
}

/** The previous or next photo of the album the page was opened from (an empty cell at either end). */
function stepLink(edge: Step, rel: 'prev' | 'next', label: string, albumId: string, share: ShareLinks | undefined): string {
  if (edge === undefined) return `<span></span>`;
  const base = share === undefined ? '/photos/' : `${share.base}/photos/`;
  const href = withQuery(`${base}${encodeURIComponent(edge.node.id)}`, {
    album: share === undefined ? albumId : undefined,
    at: edge.cursor,
    unlock: share?.unlock,
  });
  return `<a rel="${rel}" href="${escapeHtml(href)}">${label}</a>`;
}

/** A share link with a password, before it is given (`message`: why it is asked again). */
export function passwordView(token: string, message: string | undefined): PageView {
  const error = message === undefined ? '' : `<p class="error" role="alert">${escapeHtml(message)}</p>`;
  return {
    title: 'Password needed',
    main: { 'data-page': 'password' },
    body: `<h1>This album is protected by a password</h1>${error}<form method="post" action="/s/${token}"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required autofocus><button type="submit">Open</button></form>`,
  };
}

/** A page that is not there, or that a visitor's request cannot make. */
export function errorView({ heading, detail }: { heading: string; detail: string }): PageView {
  return {
    title: heading,
    main: { 'data-page': 'error' },
    body: `<h1>${escapeHtml(heading)}</h1><p>${escapeHtml(detail)}</p>`,
  };
}
