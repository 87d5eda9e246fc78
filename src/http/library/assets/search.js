// Photos that match what the owner types in the header's search field, best match first
// (photos(filter: { text }) ranks by relevance), read page by page as the timeline is. Each new
// query starts afresh, and an answer to an older query is dropped: only the newest is shown.
import { selectionToolbar } from './bulk.js';
import { h, photoCount } from './dom.js';
import { pagedList, photoTile, removeTile, replaceTile } from './tiles.js';

/** “lisb” with typographic quotes, as the count and the empty state say it. */
const quoted = (query) => `“${query}”`;

/** The heading and the page's title alike. */
const titleOf = (query) => (query === '' ? 'Search' : `Search: ${quoted(query)}`);

export function searchAddress(query) {
  return `/library/search?q=${encodeURIComponent(query)}`;
}

export function searchView(app, initial) {
  const selection = new Set();
  let query = initial.trim();

  const heading = h('h1', { id: 'search-heading' }, 'Search');
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const grid = h('ul', { class: 'grid' });
  const sentinel = h('p', { class: 'sentinel' });
  const toolbar = selectionToolbar(app, selection, {
    scope: grid,
    onChanged: (photos) => {
      for (const photo of photos) replaceTile(grid, photo, tile);
    },
  });

  const tile = (photo) => photoTile(photo, { selection, onSelect: toolbar.update });

  function showPage(photos) {
    const n = photos.totalCount;
    count.textContent = n === 0 ? '' : `${photoCount(n)} match${n === 1 ? 'es' : ''} ${quoted(query)}`;
    for (const photo of photos.nodes) if (!grid.querySelector(`li.tile[data-id="${CSS.escape(photo.id)}"]`)) grid.append(tile(photo));
    sentinel.textContent = photos.pageInfo.hasNextPage ? 'Loading…' : n === 0 ? `No photo matches ${quoted(query)}` : '';
    sentinel.classList.toggle('empty', n === 0);
  }

  // Each query is a generation of the list: an answer for one typed over is dropped.
  const list = pagedList({
    sentinel,
    fetchPage: async (after) => (await app.api.run('Search', { text: query, after })).photos,
    onPage: showPage,
  });

  /** A new query: the grid starts empty and fills from its first page. */
  function setQuery(text) {
    query = text.trim();
    selection.clear();
    toolbar.update();
    grid.replaceChildren();
    count.textContent = '';
    heading.textContent = titleOf(query);
    sentinel.textContent = query === '' ? 'Type in the search field to find photos.' : 'Searching…';
    sentinel.classList.remove('empty');
    list.restart(query !== '');
  }

  const element = h(
    'section',
    { class: 'search', 'aria-labelledby': 'search-heading' },
    h('div', { class: 'view-head' }, heading, count),
    toolbar.element,
    grid,
    sentinel,
  );
  queueMicrotask(() => setQuery(initial));

  return {
    element,
    get title() {
      return titleOf(query);
    },
    isSearch: true,
    setQuery,
    onChange(change) {
      if (change === null) return setQuery(query);
      // Changed photos keep their place; whether a change makes a photo match is for the next query to say.
      for (const photo of change.photos) replaceTile(grid, photo, tile);
      for (const id of change.removedPhotoIds) removeTile(grid, id);
    },
    dispose: () => list.stop(),
  };
}
