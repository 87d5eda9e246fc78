// What a selection of photos can be given in one request, from any grid that selects them.
import { announce, field, fill, h, openDialog, photoCount, showError } from './dom.js';

/** Asks for one keyword and gives it to every selected photo (updatePhotos addKeywords); `onDone(photos)` gets their new tiles' data. */
export function addKeywordDialog(app, ids, onDone) {
  openDialog(`Add a keyword to ${photoCount(ids.length)}`, (close) => {
    const keyword = h('input', { name: 'keyword', required: true, maxlength: 100, autocomplete: 'off' });
    const form = h(
      'form',
      {
        onsubmit: async (event) => {
          event.preventDefault();
          const word = keyword.value.trim();
          if (word === '') return;
          try {
            const result = await app.api.mutate('UpdatePhotos', { input: { ids, addKeywords: [word] } });
            close();
            onDone(result.photos);
            announce(`Added “${word}” to ${photoCount(ids.length)}`);
          } catch (error) {
            showError(error.message);
          }
        },
      },
      field('Keyword', keyword),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: close }, 'Cancel'),
        h('button', { type: 'submit' }, 'Add keyword'),
      ),
    );
    queueMicrotask(() => keyword.focus());
    return form;
  });
}

/** Marks every selected photo a favourite in one request; `onDone(photos)` as above. */
export async function markFavorites(app, ids, onDone) {
  try {
    const result = await app.api.mutate('UpdatePhotos', { input: { ids, favorite: true } });
    onDone(result.photos);
    announce(`Marked ${photoCount(ids.length)} as favourites`);
  } catch (error) {
    showError(error.message);
  }
}

/**
 * The toolbar over a grid that selects photos: how many are selected and what can be done to
 * them, in the same order on every grid. `addToAlbum` and `remove` are the view's own (a view
 * without them shows no such button); `onChanged(photos)` gets the tiles' new data; `scope` holds
 * the checkboxes that "Clear selection" unticks. Call `update()` whenever the selection changes.
 */
export function selectionToolbar(app, selection, { scope, onChanged, addToAlbum, remove }) {
  const element = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Selected photos', hidden: true });
  const button = (text, onclick, attributes = {}) => h('button', { type: 'button', onclick, ...attributes }, text);

  function clear() {
    selection.clear();
    for (const box of scope.querySelectorAll('input.select')) box.checked = false;
    update();
  }

  function update() {
    element.hidden = selection.size === 0;
    fill(
      element,
      h('span', {}, `${selection.size} selected`),
      addToAlbum ? button('Add to album…', addToAlbum) : null,
      button('Mark favourites', () => markFavorites(app, [...selection], onChanged)),
      button('Add keyword…', () => addKeywordDialog(app, [...selection], onChanged)),
      remove ? button('Delete…', remove, { class: 'danger' }) : null,
      button('Clear selection', clear),
    );
  }

  return { element, update };
}
