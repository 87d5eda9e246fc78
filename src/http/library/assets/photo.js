// One photo: large, its title and description edited in place, turned a quarter at a time,
// deleted (after asking), marked a favourite and given stars, with everything the camera
// recorded and where (the place's name, from GeoNames), which only the owner sees, and its
// keywords, added and removed one at a time.
import { announce, clearError, confirmAction, field, fill, formatDate, formValues, h, showError } from './dom.js';

function facts(photo) {
  const rows = [
    ['Taken', photo.takenAt ? formatDate(photo.takenAt, true) : 'Unknown'],
    ['Added', formatDate(photo.createdAt, true)],
    ['Size', `${photo.width} × ${photo.height}`],
    ['File', `${photo.mimeType}${photo.byteSize ? `, ${(photo.byteSize / 1024 / 1024).toFixed(1)} MB` : ''}`],
    ['Camera', [photo.camera?.make, photo.camera?.model].filter(Boolean).join(' ') || null],
    ['Lens', photo.camera?.lens],
    ['Exposure', photo.exposure?.shutterSpeed ? `${photo.exposure.shutterSpeed} s` : null],
    ['Aperture', photo.exposure?.fNumber ? `ƒ/${photo.exposure.fNumber}` : null],
    ['ISO', photo.exposure?.iso],
    ['Focal length', photo.exposure?.focalLength ? `${photo.exposure.focalLength} mm` : null],
    ['Place', photo.place ? `${photo.place.name}, ${photo.place.country}` : null],
    [
      'Location',
      photo.location
        ? `${photo.location.latitude.toFixed(5)}, ${photo.location.longitude.toFixed(5)}${photo.location.altitude != null ? `, ${Math.round(photo.location.altitude)} m` : ''}`
        : null,
    ],
    ['Status', photo.status === 'FAILED' ? `Failed: ${photo.failureReason}` : photo.status.toLowerCase()],
  ];
  return h(
    'dl',
    { class: 'facts' },
    rows
      .filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([name, value]) => [h('dt', {}, name), h('dd', {}, String(value))]),
  );
}

export function photoView(app, id) {
  const element = h('section', { class: 'photo', 'aria-labelledby': 'photo-heading' }, h('p', {}, 'Loading…'));
  let photo = null;

  function image() {
    if (photo.status !== 'READY') {
      return h('p', { class: 'pending large' }, photo.status === 'FAILED' ? `Could not process: ${photo.failureReason}` : 'Processing…');
    }
    return h('img', {
      class: 'large',
      src: photo.large.url,
      width: photo.large.width,
      height: photo.large.height,
      alt: photo.description || photo.title,
    });
  }

  /**
   * Runs a mutation whose payload has the photo, keeps what the server saved, `show()`s it and
   * says `said`; a failure is said instead. Resolves whether it was saved.
   */
  async function save(mutation, variables, show, said) {
    try {
      const result = await app.api.mutate(mutation, variables);
      photo = { ...photo, ...result.photo };
      show();
      announce(said);
      return true;
    } catch (error) {
      showError(error.message);
      return false;
    }
  }

  /** Favourite and stars: saved at once, each a change of its own. */
  async function curate(change, said) {
    // Drawn again even when refused: the button and the stars go back to what is saved.
    if (!(await save('UpdatePhoto', { input: { id, ...change } }, render, said))) render();
  }

  function curation() {
    const favorite = h(
      'button',
      {
        type: 'button',
        class: 'favorite',
        'aria-pressed': String(photo.favorite),
        onclick: () => curate({ favorite: !photo.favorite }, photo.favorite ? 'No longer a favourite' : 'Marked a favourite'),
      },
      photo.favorite ? '★ Favourite' : '☆ Favourite',
    );
    const stars = h(
      'select',
      {
        name: 'rating',
        onchange: (event) => {
          const rating = Number(event.target.value);
          curate({ rating }, rating === 0 ? 'No stars' : `${rating} star${rating === 1 ? '' : 's'}`);
        },
      },
      [0, 1, 2, 3, 4, 5].map((rating) =>
        h('option', { value: String(rating), selected: rating === photo.rating }, rating === 0 ? 'No stars' : '★'.repeat(rating)),
      ),
    );
    return [favorite, field('Stars', stars)];
  }

  function rotate(quarterTurns) {
    return save('RotatePhoto', { id, quarterTurns }, render, quarterTurns > 0 ? 'Turned right' : 'Turned left');
  }

  async function remove() {
    const sure = await confirmAction(
      `Delete ${photo.title}?`,
      'It leaves the library and every album, and its files are removed. This cannot be undone.',
      'Delete photo',
    );
    if (!sure) return;
    try {
      await app.api.mutate('DeletePhoto', { id });
      announce(`${photo.title} deleted`);
      history.length > 1 ? history.back() : app.navigate('/library');
    } catch (error) {
      showError(error.message);
    }
  }

  // Made once per photo and kept across live re-renders: an update from the worker must not
  // throw away what the owner is typing. Fields the owner has not touched follow the server.
  let form = null;
  let shown = { title: '', description: '' };

  function editForm() {
    if (form) {
      for (const name of ['title', 'description']) {
        const input = form.elements.namedItem(name);
        if (input.value === shown[name]) input.value = photo[name];
      }
      shown = { title: photo.title, description: photo.description };
      return form;
    }
    shown = { title: photo.title, description: photo.description };
    form = h(
      'form',
      {
        class: 'inline-edit',
        onsubmit: async (event) => {
          event.preventDefault();
          const values = formValues(event.target);
          await save('UpdatePhoto', { input: { id, title: values.title, description: values.description } }, showSaved, 'Photo saved');
        },
      },
      field('Title', h('input', { name: 'title', value: photo.title, required: true })),
      field('Description', h('textarea', { name: 'description', rows: 3, value: photo.description })),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save')),
    );
    return form;
  }

  /** The title as the server saved it (it may trim it); the form's fields now count as untouched. */
  function showSaved() {
    shown = { title: photo.title, description: photo.description };
    form.elements.namedItem('title').value = photo.title;
    clearError();
    parts.heading.textContent = photo.title;
  }

  /** All of its keywords afterwards, in one updatePhoto; the list shows what the server kept. */
  function setKeywords(keywords, said) {
    return save('UpdatePhoto', { input: { id, keywords } }, () => fill(parts.keywords, keywordList()), said);
  }

  function keywordList() {
    if (photo.keywords.length === 0) return h('p', {}, 'No keywords yet.');
    return h(
      'ul',
      { class: 'keywords' },
      photo.keywords.map((keyword) =>
        h(
          'li',
          {},
          h('span', {}, keyword),
          h(
            'button',
            {
              type: 'button',
              class: 'remove-keyword',
              'aria-label': `Remove keyword ${keyword}`,
              onclick: () =>
                setKeywords(
                  photo.keywords.filter((other) => other !== keyword),
                  `Removed keyword ${keyword}`,
                ),
            },
            '×',
          ),
        ),
      ),
    );
  }

  // Kept across re-renders, as the edit form is: a half-typed keyword survives a worker's update.
  let keywordForm = null;

  function addKeywordForm() {
    if (keywordForm) return keywordForm;
    const input = h('input', { name: 'keyword', required: true, maxlength: 100, autocomplete: 'off' });
    keywordForm = h(
      'form',
      {
        class: 'add-keyword',
        onsubmit: async (event) => {
          event.preventDefault();
          const word = input.value.trim();
          if (word === '') return;
          if (photo.keywords.some((keyword) => keyword.toLowerCase() === word.toLowerCase())) {
            input.value = '';
            return announce(`It already has the keyword ${word}`);
          }
          if (await setKeywords([...photo.keywords, word], `Added keyword ${word}`)) input.value = '';
        },
      },
      field('Add a keyword', input),
      h('button', { type: 'submit' }, 'Add'),
    );
    return keywordForm;
  }

  // The page is built once; a live re-render refills only what the server said, so focus and
  // the edit form survive a worker's update.
  let parts = null;

  function albumList() {
    if (photo.albums.length === 0) return h('p', {}, 'In no album: only you can see it.');
    return h(
      'ul',
      { class: 'in-albums' },
      photo.albums.map((album) =>
        h(
          'li',
          {},
          h('a', { href: `/library/albums/${encodeURIComponent(album.id)}`, 'data-route': '' }, album.title),
          album.visibility === 'PUBLIC' ? ' (public)' : ' (private)',
        ),
      ),
    );
  }

  function render() {
    if (!parts) {
      parts = {
        heading: h('h1', { id: 'photo-heading' }),
        stage: h('div', { class: 'stage' }),
        curation: h('div', { class: 'actions curation' }),
        details: h('div', {}),
        albums: h('div', {}),
        keywords: h('div', {}),
      };
      fill(
        element,
        parts.heading,
        parts.stage,
        parts.curation,
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'rotate-left', onclick: () => rotate(-1) }, 'Rotate left'),
          h('button', { type: 'button', class: 'rotate-right', onclick: () => rotate(1) }, 'Rotate right'),
          h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete photo…'),
        ),
        editForm(),
        h('h2', {}, 'Keywords'),
        parts.keywords,
        addKeywordForm(),
        h('h2', {}, 'Details'),
        parts.details,
        h('h2', {}, 'Albums'),
        parts.albums,
      );
    } else {
      editForm();
    }
    parts.heading.textContent = photo.title;
    fill(parts.stage, image());
    fill(parts.curation, curation());
    fill(parts.details, facts(photo));
    fill(parts.albums, albumList());
    fill(parts.keywords, keywordList());
  }

  async function load() {
    try {
      const data = await app.api.run('Photo', { id });
      if (!data.photo) {
        parts = null;
        form = null;
        keywordForm = null;
        fill(element, h('h1', { id: 'photo-heading' }, 'No such photo'), h('p', {}, 'It was deleted, or the address is wrong.'));
        return;
      }
      photo = data.photo;
      render();
    } catch (error) {
      showError(error.message);
    }
  }
  queueMicrotask(load);

  return {
    title: 'Photo',
    element,
    onChange(change) {
      if (change === null) return load();
      if (change.removedPhotoIds.includes(id)) {
        parts = null;
        form = null;
        keywordForm = null;
        fill(element, h('h1', { id: 'photo-heading' }, 'This photo was deleted'));
        return;
      }
      // Processing finished or the photo changed elsewhere: read it whole again (the large image, the EXIF).
      if (change.photos.some((changed) => changed.id === id && (changed.status !== photo?.status || changed.version !== photo?.version)))
        load();
    },
  };
}
