// A photo as the app shows it in a grid: its thumbnail once processed, until then a placeholder
// that says what is happening; a mark when the public can see it; a checkbox to select it.
import { h } from './dom.js';

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
