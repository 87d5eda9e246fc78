// The owner's app: signs in with the admin token (kept in this browser's storage, sent only as a
// Bearer header by this script), routes /library paths to views, and feeds every view the
// library's live changes from one subscription. The header's search field lists matches as the
// owner types (/library/search?q=…, so back, forward and reload keep the search).
import { albumsView, albumView } from './albums.js';
import { Api, SignedOut } from './api.js';
import { announce, clearError, field, fill, h, showError } from './dom.js';
import { mapView } from './map.js';
import { photoView } from './photo.js';
import { searchAddress, searchView } from './search.js';
import { timelineView } from './timeline.js';
import { Uploads } from './uploads.js';

const TOKEN_KEY = 'lightbox.token';
const config = JSON.parse(document.getElementById('library-config').textContent);
const root = document.getElementById('app');

/** The link the server prints at start carries the token in the fragment, which no request ever sends; it is taken out of the address bar at once. */
function tokenFromFragment() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token === null) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return token;
}

function signInView(message) {
  const input = h('input', { type: 'password', name: 'token', required: true, autocomplete: 'current-password', spellcheck: 'false' });
  const error = h('p', { class: 'error', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        const probe = new Api({ documents: config.documents, token, onSignedOut: () => {}, onConnection: () => {} });
        try {
          await probe.run('SignIn');
        } catch (failure) {
          error.textContent = failure instanceof SignedOut ? 'That is not this server’s admin token.' : failure.message;
          input.focus();
          return;
        }
        localStorage.setItem(TOKEN_KEY, token);
        start(token);
      },
    },
    h('h1', {}, 'Sign in to your library'),
    h(
      'p',
      {},
      'Paste the admin token the server printed when it started (or the one in LIGHTBOX_ADMIN_TOKEN). It stays in this browser until you sign out.',
    ),
    field('Admin token', input),
    error,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  fill(root, h('main', { id: 'main', tabindex: '-1' }, form));
  input.focus();
}

function start(token) {
  let view = null;
  let stopChanges = () => {};
  const connection = h('p', { class: 'connection', role: 'status' });
  const main = h('main', { id: 'main', tabindex: '-1' });

  const signOut = (message) => {
    stopChanges();
    localStorage.removeItem(TOKEN_KEY);
    view?.dispose?.();
    // Everything private goes with the page; the sign-in form starts from nothing.
    history.replaceState(null, '', '/library');
    signInView(message);
  };

  const api = new Api({
    documents: config.documents,
    token,
    onSignedOut: () => signOut('The server no longer accepts the saved token: sign in again.'),
    onConnection: (online) => {
      const text = online ? '' : 'Offline: trying to reach the server again…';
      if (connection.textContent !== text) {
        connection.textContent = text;
        document.body.classList.toggle('offline', !online);
      }
    },
  });

  const app = {
    api,
    publicUrl: config.publicUrl ?? location.origin,
    navigate(path) {
      history.pushState(null, '', path);
      route();
    },
    uploadButton: (albumId) => uploads.button(albumId),
    currentAlbumId: () => view?.albumId ?? null,
    /** An upload's answer: the new photo shows at once, before the change feed tells of it. */
    photoAdded(photo) {
      view?.onChange?.({ photos: [photo], removedPhotoIds: [], albums: [], removedAlbumIds: [], missed: false });
    },
  };
  const uploads = new Uploads(app);

  const nav = h(
    'nav',
    { 'aria-label': 'Library' },
    h('a', { href: '/library', 'data-route': '' }, 'All photos'),
    h('a', { href: '/library/albums', 'data-route': '' }, 'Albums'),
    h('a', { href: '/library/map', 'data-route': '' }, 'Map'),
    h('a', { href: '/' }, 'Public gallery'),
  );
  // The search field: each pause in typing (200 ms) searches; the first search pushes
  // /library/search?q=… onto the history, later ones replace it, so back leaves the search.
  const searchInput = h('input', {
    type: 'search',
    id: 'search-field',
    name: 'q',
    autocomplete: 'off',
    spellcheck: 'false',
    enterkeyhint: 'search',
    placeholder: 'Search photos',
    maxlength: 200,
  });
  const clearSearch = h('button', { type: 'button', class: 'clear-search', hidden: true, onclick: () => search('', true) }, 'Clear');
  let searchTimer = 0;
  function search(text, now = false) {
    clearTimeout(searchTimer);
    if (searchInput.value !== text) searchInput.value = text;
    clearSearch.hidden = text === '';
    const run = () => {
      const query = text.trim();
      if (query === '') {
        if (view?.isSearch) app.navigate('/library');
        if (now) searchInput.focus();
        return;
      }
      if (view?.isSearch) {
        history.replaceState(null, '', searchAddress(query));
        view.setQuery(query);
        document.title = `${view.title} · Lightbox`;
      } else {
        history.pushState(null, '', searchAddress(query));
        route({ keepFocus: true });
      }
    };
    if (now) run();
    else searchTimer = setTimeout(run, 200);
  }
  searchInput.addEventListener('input', () => search(searchInput.value));
  searchInput.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && searchInput.value !== '') {
      event.preventDefault();
      search('', true);
    }
    if (event.key === 'Enter') search(searchInput.value, true);
  });
  const searchForm = h(
    'form',
    { role: 'search', class: 'search-form', onsubmit: (event) => event.preventDefault() },
    h('label', { for: 'search-field', class: 'visually-hidden' }, 'Search photos'),
    searchInput,
    clearSearch,
  );

  fill(
    root,
    h(
      'header',
      { class: 'app-header' },
      h('a', { class: 'brand', href: '/library', 'data-route': '' }, 'Lightbox'),
      nav,
      searchForm,
      h('button', { type: 'button', onclick: () => signOut() }, 'Sign out'),
    ),
    connection,
    h('div', { id: 'alert', role: 'alert' }),
    h('div', { id: 'status', class: 'visually-hidden', role: 'status', 'aria-live': 'polite' }),
    main,
    uploads.panel,
  );

  function viewFor(path) {
    const album = /^\/library\/albums\/([^/]+)$/.exec(path);
    if (album) return albumView(app, decodeURIComponent(album[1]));
    const photo = /^\/library\/photos\/([^/]+)$/.exec(path);
    if (photo) return photoView(app, decodeURIComponent(photo[1]));
    if (path === '/library/albums') return albumsView(app);
    if (path === '/library/map') return mapView(app, config.worldMap);
    if (path === '/library/search') return searchView(app, new URLSearchParams(location.search).get('q') ?? '');
    return timelineView(app);
  }

  /** Shows the view of the address; `keepFocus`: the owner is typing in the search field, which keeps the focus. */
  function route({ keepFocus = false } = {}) {
    clearTimeout(searchTimer);
    view?.dispose?.();
    clearError();
    view = viewFor(location.pathname);
    fill(main, view.element);
    if (!keepFocus) {
      // Back, forward, reload or a link: the field says what the shown view searched for.
      const query = view.isSearch ? (new URLSearchParams(location.search).get('q') ?? '') : '';
      searchInput.value = query;
      clearSearch.hidden = query === '';
    }
    for (const link of nav.querySelectorAll('a')) {
      const current = link.getAttribute('href') === location.pathname;
      if (current) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${view.title} · Lightbox`;
    if (!keepFocus) main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }

  document.addEventListener('click', (event) => {
    const link = event.target.closest?.('a[data-route]');
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    app.navigate(link.getAttribute('href'));
  });
  window.addEventListener('popstate', () => route());

  stopChanges = api.subscribe('LibraryChanged', (data) => {
    // null: the connection was made again, or the server dropped changes for a slow reader; views read afresh.
    const change = data === null || data.libraryChanged.missed ? null : data.libraryChanged;
    uploads.onChange(change);
    view?.onChange?.(change);
    if (change === null) announce('Reconnected');
  });
  route();
}

window.addEventListener('unhandledrejection', (event) => showError(event.reason?.message ?? String(event.reason)));

const fromLink = tokenFromFragment();
if (fromLink) localStorage.setItem(TOKEN_KEY, fromLink);
const saved = localStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
else signInView();
