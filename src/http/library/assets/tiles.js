// A photo as the app shows it in a grid: its thumbnail once processed, until then a placeholder
// that says what is happening; a mark when the public can see it; a checkbox to select it.
import { h, showError } from './dom.js';

export function isPublic(photo) {
  return (photo.albums ?? []).some((album) => album.visibility === 'PUBLIC');
}

function picture(photo) {
  if (photo.status === 'READY') {
    const img = h('img', {
      src: photo.thumb.url,
      width: photo.thumb.width,
      height: photo.thumb.height,
      alt: photo.description || photo.title,
      loading: 'lazy',
      decoding: 'async',
    });
    return img;
  }
  const failed = photo.status === 'FAILED';
  return h(
    'span',
    {
      class: `pending${failed ? ' failed' : ''}`,
      role: 'img',
      'aria-label': `${photo.title}: ${failed ? 'could not be processed' : 'processing'}`,
    },
    failed ? `Could not process: ${photo.failureReason ?? 'unknown reason'}` : 'Processing…',
  );
}

/**
 * One tile. `selection` (a Set of ids) and `onSelect` make it selectable; the link opens the
 * photo's page. Its `data-id` lets live changes find it (`replaceTile`).
 */
export function photoTile(photo, { selection, onSelect, extra } = {}) {
  const checkbox = selection
    ? h('input', {
        type: 'checkbox',
        class: 'select',
        'aria-label': `Select ${photo.title}`,
        checked: selection.has(photo.id),
        onchange: (event) => {
          if (event.target.checked) selection.add(photo.id);
          else selection.delete(photo.id);
          onSelect?.();
        },
      })
    : null;
  return h(
    'li',
    { class: 'tile', 'data-id': photo.id, 'data-status': photo.status },
    h(
      'a',
      { href: `/library/photos/${encodeURIComponent(photo.id)}`, 'data-route': '' },
      picture(photo),
      h('span', { class: 'title' }, photo.title),
    ),
    isPublic(photo) ? h('span', { class: 'mark', title: 'In a public album: anyone can see it' }, 'Public') : null,
    photo.favorite ? h('span', { class: 'favorite-mark', role: 'img', 'aria-label': 'Favourite' }, '★') : null,
    checkbox,
    extra ?? null,
  );
}

/** Puts a changed photo's new tile where its old one is, in `container`'s grids; the checkbox keeps its state. */
export function replaceTile(container, photo, build) {
  for (const old of container.querySelectorAll(`li.tile[data-id="${CSS.escape(photo.id)}"]`)) old.replaceWith(build(photo));
}

export function removeTile(container, id) {
  for (const old of container.querySelectorAll(`li.tile[data-id="${CSS.escape(id)}"]`)) old.remove();
}

/** Calls `more()` whenever `sentinel` comes within a screen of the viewport, until it is removed. */
export function whenNear(sentinel, more) {
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting)) more();
    },
    { rootMargin: '100% 0px' },
  );
  observer.observe(sentinel);
  return () => observer.disconnect();
}

/** Within two screens of the viewport's top: a short page left it there, where the observer does not fire again. */
function stillNear(sentinel) {
  return sentinel.isConnected && sentinel.getBoundingClientRect().top < window.innerHeight * 2;
}

/**
 * A list read page by page as `sentinel` nears the viewport. `fetchPage(after)` resolves with a
 * connection (nodes, pageInfo…) and `onPage(connection)` shows it. `restart(hasAny)` starts the
 * list afresh (after the caller has emptied it): each start is a generation of its own, and an
 * answer that arrives for an older one is dropped, so a page asked for before a change of query
 * can neither land in the new list nor set its cursor. `stop()` drops them all. On a failure the
 * sentinel's "Loading…" goes and the error is said.
 */
export function pagedList({ sentinel, fetchPage, onPage }) {
  let generation = 0;
  /** The generation whose page is on its way (-1: none): one request at a time per list. */
  let loadingGeneration = -1;
  let cursor = null;
  let hasMore = false;
  let stopWatching = () => {};

  async function more() {
    const asked = generation;
    if (!hasMore || loadingGeneration === asked) return;
    loadingGeneration = asked;
    try {
      const page = await fetchPage(cursor);
      if (asked !== generation) return;
      cursor = page.pageInfo.endCursor;
      hasMore = page.pageInfo.hasNextPage;
      onPage(page);
    } catch (error) {
      if (asked !== generation) return;
      sentinel.textContent = '';
      showError(error.message);
      return;
    } finally {
      if (loadingGeneration === asked) loadingGeneration = -1;
    }
    if (hasMore && stillNear(sentinel)) more();
  }

  function stop() {
    generation += 1;
    stopWatching();
  }

  return {
    restart(hasAny = true) {
      stop();
      cursor = null;
      hasMore = hasAny;
      more();
      stopWatching = whenNear(sentinel, more);
    },
    stop,
    /** Whether pages are left to read: until then a live change older than every loaded photo is not shown. */
    get hasMore() {
      return hasMore;
    },
  };
}
