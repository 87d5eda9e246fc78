// Photos that match what the owner types in the header's search field, best match first
// (photos(filter: { text }) ranks by relevance), read page by page as the timeline is. Each new
// query starts afresh, and an answer to an older query is dropped: only the newest is shown.
import { addKeywordDialog, markFavorites } from './bulk.js';
import { fill, h, showError } from './dom.js';
import { photoTile, removeTile, replaceTile, whenNear } from './tiles.js';

/** “lisb” with typographic quotes, as the count and the empty state say it. */
const quoted = (query) => `“${query}”`;

export function searchAddress(query) {
  return `/library/search?q=${encodeURIComponent(query)}`;
}

export function searchView(app, initial) {
  const selection = new Set();
  let query = initial.trim();
  /** Which query the grid shows; an answer carries the one it was asked for. */
  let generation = 0;
  let loadingGeneration = -1;
  let cursor = null;
  let hasMore = false;
  let stopWatching = () => {};

  const heading = h('h1', { id: 'search-heading' }, 'Search');
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const grid = h('ul', { class: 'grid' });
  const sentinel = h('p', { class: 'sentinel' });
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Selected photos', hidden: true });

  const tile = (photo) => photoTile(photo, { selection, onSelect: updateToolbar });
  const showChanged = (photos) => {
    for (const photo of photos) replaceTile(grid, photo, tile);
  };

  function updateToolbar() {
    toolbar.hidden = selection.size === 0;
    fill(
      toolbar,
      h('span', {}, `${selection.size} selected`),
      h('button', { type: 'button', onclick: () => addKeywordDialog(app, [...selection], showChanged) }, 'Add keyword…'),
      h('button', { type: 'button', onclick: () => markFavorites(app, [...selection], showChanged) }, 'Mark favourites'),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            selection.clear();
            for (const box of grid.querySelectorAll('input.select')) box.checked = false;
            updateToolbar();
          },
        },
        'Clear selection',
      ),
    );
  }

  async function more() {
    const asked = generation;
    if (query === '' || !hasMore || loadingGeneration === asked) return;
    loadingGeneration = asked;
    try {
      const { photos } = await app.api.run('Search', { text: query, after: cursor });
      // Typed on meanwhile: this answer is for a query no longer shown.
      if (asked !== generation) return;
      const n = photos.totalCount;
      count.textContent = n === 0 ? '' : `${n} photo${n === 1 ? '' : 's'} match${n === 1 ? 'es' : ''} ${quoted(query)}`;
      for (const photo of photos.nodes) if (!grid.querySelector(`li.tile[data-id="${CSS.escape(photo.id)}"]`)) grid.append(tile(photo));
      cursor = photos.pageInfo.endCursor;
      hasMore = photos.pageInfo.hasNextPage;
      sentinel.textContent = hasMore ? 'Loading…' : n === 0 ? `No photo matches ${quoted(query)}` : '';
      sentinel.classList.toggle('empty', n === 0);
    } catch (error) {
      if (asked !== generation) return;
      sentinel.textContent = '';
      showError(error.message);
      return;
    } finally {
      if (loadingGeneration === asked) loadingGeneration = -1;
    }
    if (hasMore && sentinel.getBoundingClientRect().top < window.innerHeight * 2) more();
  }

  /** A new query: the grid starts empty and fills from its first page. */
  function setQuery(text) {
    query = text.trim();
    generation += 1;
    stopWatching();
    selection.clear();
    updateToolbar();
    grid.replaceChildren();
    count.textContent = '';
    heading.textContent = query === '' ? 'Search' : `Search: ${quoted(query)}`;
    cursor = null;
    hasMore = query !== '';
    sentinel.textContent = hasMore ? 'Searching…' : 'Type in the search field to find photos.';
    sentinel.classList.remove('empty');
    more();
    stopWatching = whenNear(sentinel, more);
  }

  const element = h(
    'section',
    { class: 'search', 'aria-labelledby': 'search-heading' },
    h('div', { class: 'view-head' }, heading, count),
    toolbar,
    grid,
    sentinel,
  );
  queueMicrotask(() => setQuery(initial));

  return {
    element,
    get title() {
      return query === '' ? 'Search' : `Search: ${quoted(query)}`;
    },
    isSearch: true,
    setQuery,
    onChange(change) {
      if (change === null) return setQuery(query);
      // Changed photos keep their place; whether a change makes a photo match is for the next query to say.
      for (const photo of change.photos)
        if (grid.querySelector(`li.tile[data-id="${CSS.escape(photo.id)}"]`)) replaceTile(grid, photo, tile);
      for (const id of change.removedPhotoIds) removeTile(grid, id);
    },
    dispose: () => {
      generation += 1;
      stopWatching();
    },
  };
}
