// What a selection of photos can be given in one request, from any grid that selects them.
import { announce, field, h, openDialog, showError } from './dom.js';

const photos = (n) => `${n} photo${n === 1 ? '' : 's'}`;

/** Asks for one keyword and gives it to every selected photo (updatePhotos addKeywords); `onDone(photos)` gets their new tiles' data. */
export function addKeywordDialog(app, ids, onDone) {
  openDialog(`Add a keyword to ${photos(ids.length)}`, (close) => {
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
            announce(`Added “${word}” to ${photos(ids.length)}`);
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
    announce(`Marked ${photos(ids.length)} as favourites`);
  } catch (error) {
    showError(error.message);
  }
}
