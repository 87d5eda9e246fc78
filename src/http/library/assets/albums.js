// Albums: the list, making one, and one album's page (its title, who can see it, its photos in
// their order, which can be changed by dragging or from the keyboard, its cover, its share links).
import { announce, clearError, confirmAction, field, fill, formValues, h, openDialog, showError } from './dom.js';
import { shareLinksSection } from './shares.js';
import { photoTile, removeTile, replaceTile, whenNear } from './tiles.js';

function albumHref(album) {
  return `/library/albums/${encodeURIComponent(album.id)}`;
}

function visibilityStatement(album) {
  return album.visibility === 'PUBLIC'
    ? 'Public: anyone who opens this server’s gallery can see this album and its photos.'
    : 'Private: only you, and people you give a share link to, can see this album.';
}

export function newAlbumDialog(app) {
  openDialog('New album', (close) =>
    h(
      'form',
      {
        onsubmit: async (event) => {
          event.preventDefault();
          const values = formValues(event.target);
          try {
            const { album } = await app.api.mutate('CreateAlbum', {
              input: { title: values.title, description: values.description, visibility: values.public ? 'PUBLIC' : 'PRIVATE' },
            });
            close();
            announce(`Album ${album.title} created`);
            app.navigate(albumHref(album));
          } catch (error) {
            showError(error.message);
          }
        },
      },
      field('Title', h('input', { name: 'title', required: true, autocomplete: 'off' })),
      field('Description', h('textarea', { name: 'description', rows: 3 })),
      field('Public: anyone can see it in the gallery', h('input', { type: 'checkbox', name: 'public' })),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: close }, 'Cancel'),
        h('button', { type: 'submit' }, 'Create album'),
      ),
    ),
  );
}

function albumCard(album) {
  const cover = album.cover?.thumb
    ? h('img', { src: album.cover.thumb.url, alt: '', loading: 'lazy', width: 256, height: 256 })
    : h('span', { class: 'pending', 'aria-hidden': 'true' }, 'No photos');
  return h(
    'li',
    { class: 'card', 'data-id': album.id },
    h(
      'a',
      { href: albumHref(album), 'data-route': '' },
      cover,
      h('span', { class: 'title' }, album.title),
      h(
        'span',
        { class: 'meta' },
        `${album.photoCount} photo${album.photoCount === 1 ? '' : 's'} · ${album.visibility === 'PUBLIC' ? 'Public' : 'Private'}`,
      ),
    ),
  );
}

export function albumsView(app) {
  const grid = h('ul', { class: 'grid albums' });
  const empty = h('p', { class: 'sentinel' }, 'Loading…');
  async function load() {
    try {
      const nodes = [];
      let after = null;
      for (;;) {
        const { albums } = await app.api.run('Albums', { after });
        nodes.push(...albums.nodes);
        if (!albums.pageInfo.hasNextPage) break;
        after = albums.pageInfo.endCursor;
      }
      fill(grid, ...nodes.map(albumCard));
      empty.textContent = nodes.length === 0 ? 'No albums yet.' : '';
    } catch (error) {
      showError(error.message);
    }
  }
  queueMicrotask(load);
  return {
    title: 'Albums',
    element: h(
      'section',
      { 'aria-labelledby': 'albums-heading' },
      h(
        'div',
        { class: 'view-head' },
        h('h1', { id: 'albums-heading' }, 'Albums'),
        h('button', { type: 'button', onclick: () => newAlbumDialog(app) }, 'New album'),
      ),
      grid,
      empty,
    ),
    onChange: (change) => {
      if (change === null || change.albums.length > 0 || change.removedAlbumIds.length > 0) load();
    },
  };
}

export function albumView(app, id) {
  const selection = new Set();
  let album = null;
  let cursor = null;
  let hasMore = false;
  let stopWatching = () => {};
  const head = h('div', { class: 'album-head' });
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Selected photos', hidden: true });
  const grid = h('ul', { class: 'grid album-photos', 'aria-label': 'Photos in album order; Alt+Arrow keys move the focused photo' });
  const sentinel = h('p', { class: 'sentinel' });
  const shares = h('div');

  const tile = (photo) => {
    const isCover = album?.cover?.id === photo.id;
    const node = photoTile(photo, {
      selection,
      onSelect: updateToolbar,
      extra: isCover ? h('span', { class: 'mark cover' }, 'Cover') : null,
    });
    node.draggable = true;
    node.addEventListener('dragstart', (event) => {
      event.dataTransfer.setData('application/x-lightbox-photo', photo.id);
      event.dataTransfer.effectAllowed = 'move';
    });
    node.addEventListener('dragover', (event) => {
      if (event.dataTransfer.types.includes('application/x-lightbox-photo')) event.preventDefault();
    });
    node.addEventListener('drop', (event) => {
      const moved = event.dataTransfer.getData('application/x-lightbox-photo');
      if (!moved) return;
      event.preventDefault();
      move(moved, [...grid.children].indexOf(node));
    });
    return node;
  };

  async function move(photoId, position) {
    const node = grid.querySelector(`li[data-id="${CSS.escape(photoId)}"]`);
    if (!node || position < 0 || position >= grid.children.length) return;
    try {
      const arrangedBefore = album.photoOrder === 'MANUAL';
      album = (await app.api.mutate('MoveInAlbum', { albumId: id, photoId, position })).album;
      if (!arrangedBefore) renderOrder();
      const from = [...grid.children].indexOf(node);
      const target = grid.children[position];
      if (from < position) target.after(node);
      else grid.insertBefore(node, target);
      node.querySelector('a')?.focus();
      announce(`Moved to position ${position + 1} of ${grid.children.length}`);
    } catch (error) {
      showError(error.message);
    }
  }

  grid.addEventListener('keydown', (event) => {
    if (!event.altKey || (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight')) return;
    const node = event.target.closest('li.tile');
    if (!node) return;
    event.preventDefault();
    move(node.dataset.id, [...grid.children].indexOf(node) + (event.key === 'ArrowLeft' ? -1 : 1));
  });

  function updateToolbar() {
    toolbar.hidden = selection.size === 0;
    const one = selection.size === 1 ? [...selection][0] : null;
    const index = one ? [...grid.children].findIndex((node) => node.dataset.id === one) : -1;
    fill(
      toolbar,
      h('span', {}, `${selection.size} selected`),
      h('button', { type: 'button', onclick: removeSelected }, 'Remove from album'),
      one ? h('button', { type: 'button', onclick: () => setCover(one) }, 'Set as cover') : null,
      one
        ? h('button', { type: 'button', disabled: index <= 0, onclick: () => move(one, index - 1).then(updateToolbar) }, 'Move earlier')
        : null,
      one
        ? h(
            'button',
            { type: 'button', disabled: index >= grid.children.length - 1, onclick: () => move(one, index + 1).then(updateToolbar) },
            'Move later',
          )
        : null,
    );
  }

  async function removeSelected() {
    const photoIds = [...selection];
    try {
      await app.api.mutate('RemoveFromAlbum', { albumId: id, photoIds });
      for (const photoId of photoIds) grid.querySelector(`li[data-id="${CSS.escape(photoId)}"]`)?.remove();
      selection.clear();
      updateToolbar();
      announce(`Removed ${photoIds.length} photo${photoIds.length === 1 ? '' : 's'} from the album; they stay in your library`);
    } catch (error) {
      showError(error.message);
    }
  }

  async function setCover(photoId) {
    try {
      album = (await app.api.mutate('SetCover', { albumId: id, photoId })).album;
      for (const mark of grid.querySelectorAll('.mark.cover')) mark.remove();
      grid.querySelector(`li[data-id="${CSS.escape(photoId)}"]`)?.append(h('span', { class: 'mark cover' }, 'Cover'));
      announce('Cover set');
    } catch (error) {
      showError(error.message);
    }
  }

  function renderHead() {
    const editing = h(
      'form',
      {
        class: 'inline-edit',
        hidden: true,
        onsubmit: async (event) => {
          event.preventDefault();
          const values = formValues(event.target);
          try {
            album = (await app.api.mutate('UpdateAlbum', { input: { id, title: values.title, description: values.description } })).album;
            clearError();
            renderHead();
            announce('Album saved');
          } catch (error) {
            showError(error.message);
          }
        },
      },
      field('Title', h('input', { name: 'title', value: album.title, required: true })),
      field('Description', h('textarea', { name: 'description', rows: 3, value: album.description })),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: () => renderHead() }, 'Cancel'),
        h('button', { type: 'submit' }, 'Save'),
      ),
    );
    const publish = h(
      'button',
      {
        type: 'button',
        'aria-describedby': 'visibility-statement',
        onclick: async () => {
          try {
            const visibility = album.visibility === 'PUBLIC' ? 'PRIVATE' : 'PUBLIC';
            album = (await app.api.mutate('UpdateAlbum', { input: { id, visibility } })).album;
            renderHead();
            head.querySelector('.publish')?.focus();
            announce(visibility === 'PUBLIC' ? 'Album published' : 'Album made private');
          } catch (error) {
            showError(error.message);
          }
        },
      },
      album.visibility === 'PUBLIC' ? 'Make private' : 'Publish',
    );
    publish.classList.add('publish');
    const order = h('p', { class: 'photo-order' });
    fill(
      head,
      h('p', { class: 'crumbs' }, h('a', { href: '/library/albums', 'data-route': '' }, 'Albums')),
      h('h1', { id: 'album-heading' }, album.title),
      album.description ? h('p', { class: 'description' }, album.description) : null,
      h('p', { class: 'meta' }, `${album.photoCount} photo${album.photoCount === 1 ? '' : 's'}`),
      h('p', { id: 'visibility-statement', class: `visibility ${album.visibility.toLowerCase()}` }, visibilityStatement(album)),
      order,
      h(
        'div',
        { class: 'actions' },
        publish,
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              editing.hidden = false;
              editing.querySelector('input')?.focus();
            },
          },
          'Edit title and description',
        ),
        app.uploadButton(id),
        album.visibility === 'PUBLIC'
          ? h('a', { href: `/albums/${encodeURIComponent(id)}`, class: 'button' }, 'Open in the gallery')
          : null,
        // A plain link: its signed URL is the credential (a download sends no Authorization header).
        album.download ? h('a', { href: album.download.url, class: 'button', download: '' }, 'Download') : null,
        h('button', { type: 'button', class: 'danger', onclick: deleteAlbum }, 'Delete album…'),
      ),
      editing,
    );
    renderOrder();
  }

  /** The album's order: by date taken until the owner moves a photo, which arranges it by hand. */
  function renderOrder() {
    const order = head.querySelector('.photo-order');
    if (!order) return;
    const select = h(
      'select',
      {
        id: 'photo-order',
        onchange: async (event) => {
          try {
            album = (await app.api.mutate('UpdateAlbum', { input: { id, photoOrder: event.target.value } })).album;
            announce(album.photoOrder === 'MANUAL' ? 'Photos in your order' : 'Photos by date taken');
            await load(true);
            head.querySelector('#photo-order')?.focus();
          } catch (error) {
            showError(error.message);
          }
        },
      },
      h('option', { value: 'TAKEN_AT' }, 'By date taken, oldest first'),
      h('option', { value: 'MANUAL' }, 'In your order (drag, or Alt+Arrow keys)'),
    );
    select.value = album.photoOrder;
    fill(order, h('label', { for: 'photo-order' }, 'Order '), select);
  }

  async function deleteAlbum() {
    const sure = await confirmAction(
      `Delete the album ${album.title}?`,
      'Its photos stay in your library; its share links stop working.',
      'Delete album',
    );
    if (!sure) return;
    try {
      await app.api.mutate('DeleteAlbum', { id });
      announce('Album deleted');
      app.navigate('/library/albums');
    } catch (error) {
      showError(error.message);
    }
  }

  async function load(reset) {
    try {
      const data = await app.api.run('Album', { id, after: reset ? null : cursor });
      if (!data.album) {
        fill(head, h('h1', { id: 'album-heading' }, 'No such album'), h('p', {}, 'It was deleted, or the address is wrong.'));
        return;
      }
      album = data.album;
      if (reset) {
        // A live reload must not close the form the owner is typing in: then only the count follows.
        const open = head.querySelector('form.inline-edit:not([hidden])');
        if (open) head.querySelector('.meta').textContent = `${album.photoCount} photo${album.photoCount === 1 ? '' : 's'}`;
        else renderHead();
        grid.replaceChildren();
        fill(shares, shareLinksSection(app, album, data.shareLinks.nodes));
      }
      for (const photo of album.photos.nodes) if (!grid.querySelector(`li[data-id="${CSS.escape(photo.id)}"]`)) grid.append(tile(photo));
      cursor = album.photos.pageInfo.endCursor;
      hasMore = album.photos.pageInfo.hasNextPage;
      sentinel.textContent = grid.children.length === 0 ? 'No photos in this album yet: upload some, or add them from All photos.' : '';
    } catch (error) {
      showError(error.message);
    }
  }

  queueMicrotask(async () => {
    await load(true);
    stopWatching = whenNear(sentinel, () => hasMore && load(false));
  });

  return {
    title: 'Album',
    albumId: id,
    element: h('section', { class: 'album', 'aria-labelledby': 'album-heading' }, head, toolbar, grid, sentinel, shares),
    onChange(change) {
      if (change === null) return load(true);
      if (change.removedAlbumIds.includes(id)) return app.navigate('/library/albums');
      const changedAlbum = change.albums.find((other) => other.id === id);
      if (changedAlbum && album && changedAlbum.photoCount !== album.photoCount) return load(true);
      for (const photo of change.photos) if (grid.querySelector(`li[data-id="${CSS.escape(photo.id)}"]`)) replaceTile(grid, photo, tile);
      for (const photoId of change.removedPhotoIds) removeTile(grid, photoId);
    },
    dispose: () => stopWatching(),
  };
}
