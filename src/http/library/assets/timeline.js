// All photos, newest first, in sections by month or day, read page by page as the owner
// scrolls. Live changes put a new photo's placeholder in its place at once and turn it into its
// thumbnail when the worker is done; a selection can go into an album or be deleted. By date
// taken, a scrubber of every month (Query.timeline: counts, no photos) jumps to any of them.
import { selectionToolbar } from './bulk.js';
import { announce, confirmAction, field, fill, h, openDialog, photoCount, showError } from './dom.js';
import { pagedList, photoTile, removeTile, replaceTile } from './tiles.js';

const ORDERS = { TAKEN_AT_DESC: 'Date taken', CREATED_AT_DESC: 'Date added' };
const GROUPINGS = { month: 'Month', day: 'Day' };
const SHOWN = { all: 'Every photo', favorites: 'Favourites' };

/** What a photo is sorted and grouped by in the given order: when it was taken (else added), or added. */
function sortKey(photo, order) {
  return order === 'CREATED_AT_DESC' ? photo.createdAt : (photo.takenAt ?? photo.createdAt);
}

/** "June 2024", in UTC as the server's timeline buckets are. */
function monthName(iso) {
  return new Date(iso).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

function groupOf(key, grouping) {
  const date = new Date(key);
  if (Number.isNaN(date.getTime())) return { id: 'undated', label: 'No date' };
  const id = grouping === 'day' ? key.slice(0, 10) : key.slice(0, 7);
  // UTC, as the id and the server's timeline buckets are: a photo from 1 June 01:00 UTC is June's everywhere.
  const label = grouping === 'day' ? date.toLocaleDateString(undefined, { dateStyle: 'full', timeZone: 'UTC' }) : monthName(key);
  return { id, label };
}

export function timelineView(app) {
  const selection = new Set();
  let order = sessionStorage.getItem('lightbox.order') ?? 'TAKEN_AT_DESC';
  let grouping = sessionStorage.getItem('lightbox.grouping') ?? 'month';
  let showing = sessionStorage.getItem('lightbox.shown') ?? 'all';
  let oldestLoaded = null;
  let total = 0;
  /** After a jump from the scrubber: only photos taken before this instant are listed. */
  let takenBefore = null;
  /** Which scrubber request is the newest: an older one's months are for another order or filter. */
  let scrubberAsked = 0;

  const count = h('p', { class: 'count' });
  const sections = h('div', { class: 'sections' });
  const sentinel = h('p', { class: 'sentinel' }, 'Loading…');
  const toolbar = selectionToolbar(app, selection, {
    scope: sections,
    onChanged: (photos) => {
      for (const photo of photos) replaceTile(sections, photo, tile);
    },
    addToAlbum,
    remove: deleteSelected,
  });
  const updateToolbar = toolbar.update;
  const scrubber = h('nav', { class: 'scrubber', 'aria-label': 'Jump to a month', hidden: true });
  const newest = h('button', { type: 'button', class: 'newest', hidden: true, onclick: () => jumpTo(null) }, 'Back to the newest photos');

  const tile = (photo) => {
    const node = photoTile(photo, { selection, onSelect: updateToolbar });
    node.dataset.sort = sortKey(photo, order);
    return node;
  };

  function sectionFor(photo) {
    const key = sortKey(photo, order);
    const group = groupOf(key, grouping);
    let section = sections.querySelector(`section[data-group="${CSS.escape(group.id)}"]`);
    if (section) return section;
    const headingId = `group-${group.id}`;
    section = h(
      'section',
      { 'data-group': group.id, 'aria-labelledby': headingId },
      h('h2', { id: headingId }, group.label),
      h('ul', { class: 'grid' }),
    );
    // Newest first; photos without a date last.
    const rank = (id) => (id === 'undated' ? '' : id);
    const next = [...sections.children].find((other) => rank(other.dataset.group) < rank(group.id));
    sections.insertBefore(section, next ?? null);
    return section;
  }

  /** In its section, before the first tile that sorts after it (newest first). */
  function place(photo) {
    const node = tile(photo);
    const grid = sectionFor(photo).querySelector('ul');
    const next = [...grid.children].find((other) => other.dataset.sort < node.dataset.sort);
    grid.insertBefore(node, next ?? null);
  }

  /** The next page in the order and filter as they are now (a change of either restarts the list). */
  async function fetchPage(after) {
    const filter = { ...shownFilter(), ...(takenBefore === null ? {} : { takenBefore }) };
    return (await app.api.run('Timeline', { after, orderBy: order, filter })).photos;
  }

  function showPage(photos) {
    // After a jump the page counts only the photos before it; the count stays the whole library's.
    if (takenBefore === null) {
      total = photos.totalCount;
      showCount();
    }
    for (const photo of photos.nodes) {
      if (!sections.querySelector(`li.tile[data-id="${CSS.escape(photo.id)}"]`)) place(photo);
      oldestLoaded = sortKey(photo, order);
    }
    const hasMore = photos.pageInfo.hasNextPage;
    sentinel.textContent = hasMore ? 'Loading…' : photos.totalCount === 0 ? 'No photos yet: drop some here, or use Upload.' : '';
  }

  const list = pagedList({ sentinel, fetchPage, onPage: showPage });

  function showCount() {
    count.textContent = photoCount(total);
  }

  const shownFilter = () => (showing === 'favorites' ? { favorite: true } : {});

  /** The months that have photos, by year, newest first; each a button that jumps to it. */
  async function showScrubber() {
    const asked = ++scrubberAsked;
    if (order !== 'TAKEN_AT_DESC') {
      scrubber.hidden = true;
      return;
    }
    let months = [];
    try {
      months = (await app.api.run('TimelineMonths', { filter: shownFilter() })).timeline.filter((bucket) => bucket.start !== null);
    } catch (error) {
      if (asked === scrubberAsked) showError(error.message);
      return;
    }
    // "Sort by" or "Show" changed meanwhile: these months are not the list's.
    if (asked !== scrubberAsked) return;
    const years = new Map();
    for (const month of months) {
      const year = month.start.slice(0, 4);
      if (!years.has(year)) years.set(year, []);
      years.get(year).push(month);
    }
    const monthButton = (month) => {
      const name = monthName(month.start);
      return h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            'data-start': month.start,
            'aria-label': `${name}: ${month.count} photo${month.count === 1 ? '' : 's'}`,
            title: `${name}: ${month.count}`,
            onclick: () => jumpTo(month),
          },
          new Date(month.start).toLocaleDateString(undefined, { month: 'short', timeZone: 'UTC' }),
        ),
      );
    };
    fill(
      scrubber,
      h(
        'ol',
        {},
        [...years].map(([year, ofYear]) => h('li', {}, h('span', { class: 'year' }, year), h('ol', {}, ofYear.map(monthButton)))),
      ),
    );
    scrubber.hidden = months.length === 0;
  }

  /** Another order or another set of photos: listed from the newest again, with its own scrubber. */
  function fromTheNewest() {
    takenBefore = null;
    newest.hidden = true;
    reload();
    showScrubber();
  }

  /** Lists from the month's end backwards (null: from the newest again), its section at the top. */
  function jumpTo(month) {
    takenBefore = month === null ? null : month.end;
    newest.hidden = takenBefore === null;
    reload();
    (month === null ? count : newest).scrollIntoView({ block: 'start' });
    if (month !== null) announce(`Showing photos from ${monthName(month.start)} back`);
  }

  function reload() {
    selection.clear();
    updateToolbar();
    sections.replaceChildren();
    oldestLoaded = null;
    list.restart();
  }

  async function addToAlbum() {
    const ids = [...selection];
    let albums = [];
    try {
      albums = (await app.api.run('Albums', {})).albums.nodes;
    } catch (error) {
      return showError(error.message);
    }
    openDialog(`Add ${photoCount(ids.length)} to an album`, (close) => {
      const choice = h(
        'select',
        { name: 'album' },
        h('option', { value: '' }, 'A new album…'),
        albums.map((album) => h('option', { value: album.id }, album.title)),
      );
      const title = h('input', { name: 'title', autocomplete: 'off' });
      const form = h(
        'form',
        {
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              let albumId = choice.value;
              if (albumId === '') albumId = (await app.api.mutate('CreateAlbum', { input: { title: title.value } })).album.id;
              await app.api.mutate('AddToAlbum', { albumId, photoIds: ids });
              close();
              announce(`Added ${photoCount(ids.length)} to the album`);
              app.navigate(`/library/albums/${encodeURIComponent(albumId)}`);
            } catch (error) {
              showError(error.message);
            }
          },
        },
        field('Album', choice),
        field('New album’s title', title),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: close }, 'Cancel'), h('button', { type: 'submit' }, 'Add')),
      );
      choice.addEventListener('change', () => {
        title.disabled = choice.value !== '';
      });
      return form;
    });
  }

  async function deleteSelected() {
    const ids = [...selection];
    const sure = await confirmAction(
      `Delete ${photoCount(ids.length)}?`,
      'They leave the library and every album, and their files are removed. This cannot be undone.',
      'Delete',
    );
    if (!sure) return;
    let failed = 0;
    for (const id of ids) {
      try {
        await app.api.mutate('DeletePhoto', { id });
        removeTile(sections, id);
        total -= 1;
        showCount();
        selection.delete(id);
      } catch (error) {
        failed += 1;
        showError(error.message);
      }
    }
    updateToolbar();
    announce(failed === 0 ? `Deleted ${photoCount(ids.length)}` : `${failed} could not be deleted`);
  }

  const choose = (label, options, value, onChange) =>
    field(
      label,
      h(
        'select',
        { onchange: (event) => onChange(event.target.value) },
        Object.entries(options).map(([key, text]) => h('option', { value: key, selected: key === value }, text)),
      ),
    );

  const element = h(
    'section',
    { class: 'timeline', 'aria-labelledby': 'timeline-heading' },
    h(
      'div',
      { class: 'view-head' },
      h('h1', { id: 'timeline-heading' }, 'All photos'),
      count,
      choose('Sort by', ORDERS, order, (value) => {
        order = value;
        sessionStorage.setItem('lightbox.order', value);
        fromTheNewest();
      }),
      choose('Show', SHOWN, showing, (value) => {
        showing = value;
        sessionStorage.setItem('lightbox.shown', value);
        fromTheNewest();
      }),
      choose('Group by', GROUPINGS, grouping, (value) => {
        grouping = value;
        sessionStorage.setItem('lightbox.grouping', value);
        reload();
      }),
      app.uploadButton(null),
    ),
    toolbar.element,
    h('div', { class: 'timeline-body' }, h('div', { class: 'timeline-photos' }, newest, sections, sentinel), scrubber),
  );
  queueMicrotask(() => {
    reload();
    showScrubber();
  });

  return {
    element,
    title: 'All photos',
    onChange(change) {
      if (change === null) {
        showScrubber();
        return reload();
      }
      if (change.photos.length > 0 || change.removedPhotoIds.length > 0) showScrubber();
      for (const photo of change.photos) {
        const shown = sections.querySelector(`li.tile[data-id="${CSS.escape(photo.id)}"]`);
        if (showing === 'favorites' && !photo.favorite) {
          if (shown) {
            removeTile(sections, photo.id);
            total -= 1;
          }
          continue;
        }
        if (shown) replaceTile(sections, photo, tile);
        // Newer than the oldest loaded, or everything is loaded: it belongs among the tiles already here.
        else if (takenBefore !== null && sortKey(photo, order) >= takenBefore) total += 1;
        else if (!list.hasMore || oldestLoaded === null || sortKey(photo, order) >= oldestLoaded) {
          place(photo);
          total += 1;
        }
      }
      for (const id of change.removedPhotoIds) {
        if (sections.querySelector(`li.tile[data-id="${CSS.escape(id)}"]`)) total -= 1;
        removeTile(sections, id);
      }
      showCount();
      for (const section of sections.querySelectorAll('section')) if (!section.querySelector('li')) section.remove();
    },
    dispose: () => list.stop(),
  };
}
