// Uploads: files dropped anywhere on the page (folders too) or picked, two at a time, each its
// own request so each has its own progress, its own answer (added, already in the library,
// refused and why) and its own retry. They go on while the owner moves around the app.
import { announce, fill, h } from './dom.js';
import { photoTile } from './tiles.js';

const AT_ONCE = 2;
const ACCEPT = 'image/*,.heic,.heif';

function megabytes(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Every file under a dropped folder, as far as the browser lets a page walk it. */
async function filesOf(entry) {
  if (entry.isFile) return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const files = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return files;
    for (const child of batch) files.push(...(await filesOf(child)));
  }
}

export class Uploads {
  constructor(app) {
    this.app = app;
    this.items = [];
    this.running = 0;
    this.list = h('ol', { class: 'uploads', id: 'upload-list' });
    this.total = h('p', { class: 'total', 'aria-live': 'polite' });
    // On a phone the list would cover the page: it folds down to its total line.
    this.toggle = h(
      'button',
      {
        type: 'button',
        'aria-expanded': 'true',
        'aria-controls': 'upload-list',
        onclick: () => {
          const open = this.list.hidden;
          this.list.hidden = !open;
          this.toggle.setAttribute('aria-expanded', String(open));
          this.toggle.textContent = open ? 'Hide list' : 'Show list';
        },
      },
      'Hide list',
    );
    this.panel = h(
      'section',
      { class: 'upload-panel', 'aria-labelledby': 'uploads-heading', hidden: true },
      h(
        'div',
        { class: 'panel-head' },
        h('h2', { id: 'uploads-heading' }, 'Uploads'),
        this.total,
        this.toggle,
        h('button', { type: 'button', onclick: () => this.clearFinished() }, 'Clear finished'),
      ),
      this.list,
    );
    this.watchDrops();
  }

  /** A button that picks files (an input of type file, labelled, for keyboard and screen readers alike). */
  button(albumId) {
    const input = h('input', {
      type: 'file',
      multiple: true,
      accept: ACCEPT,
      class: 'visually-hidden',
      onchange: () => {
        this.add([...input.files], albumId);
        input.value = '';
      },
    });
    return h('label', { class: 'button upload-button' }, input, albumId ? 'Upload to this album' : 'Upload photos');
  }

  watchDrops() {
    let depth = 0;
    document.addEventListener('dragenter', (event) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      depth += 1;
      document.body.classList.add('dropping');
    });
    document.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) document.body.classList.remove('dropping');
    });
    document.addEventListener('dragover', (event) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    });
    document.addEventListener('drop', async (event) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      depth = 0;
      document.body.classList.remove('dropping');
      const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
      const files = entries.length > 0 ? (await Promise.all(entries.map(filesOf))).flat() : [...event.dataTransfer.files];
      this.add(files, this.app.currentAlbumId());
    });
  }

  add(files, albumId) {
    for (const file of files) {
      const item = { file, albumId, state: 'queued', sent: 0, row: h('li') };
      this.items.push(item);
      this.list.append(item.row);
      this.render(item);
    }
    this.panel.hidden = this.items.length === 0;
    if (files.length > 0) announce(`${files.length} file${files.length === 1 ? '' : 's'} queued for upload`);
    this.pump();
  }

  pump() {
    while (this.running < AT_ONCE) {
      const next = this.items.find((item) => item.state === 'queued');
      if (!next) break;
      this.start(next);
    }
    this.summarise();
  }

  async start(item) {
    this.running += 1;
    item.state = 'uploading';
    item.sent = 0;
    this.render(item);
    try {
      const result = await this.app.api.upload(item.file, item.albumId, (sent) => {
        item.sent = sent;
        this.renderProgress(item);
      });
      if (result.__typename === 'UploadedPhoto') {
        item.state = result.duplicate ? 'duplicate' : 'done';
        item.photo = result.photo;
        this.app.photoAdded(result.photo);
      } else {
        item.state = 'rejected';
        item.message = result.message;
      }
    } catch (error) {
      item.state = 'failed';
      item.message = error.message;
    }
    this.running -= 1;
    this.render(item);
    this.pump();
  }

  /** A processed photo's thumbnail takes its placeholder's place in the row that uploaded it. */
  onChange(change) {
    if (change === null) return;
    for (const photo of change.photos) {
      for (const item of this.items) {
        if (item.photo?.id === photo.id) {
          item.photo = photo;
          this.render(item);
        }
      }
    }
  }

  clearFinished() {
    this.items = this.items.filter((item) => {
      const finished = item.state !== 'queued' && item.state !== 'uploading';
      if (finished) item.row.remove();
      return !finished;
    });
    this.panel.hidden = this.items.length === 0;
    this.summarise();
  }

  renderProgress(item) {
    const bar = item.row.querySelector('progress');
    if (bar) bar.value = item.sent;
    this.summarise();
  }

  render(item) {
    const name = item.file.name;
    const state = {
      queued: 'Waiting',
      uploading: 'Uploading',
      done: 'Added',
      duplicate: 'Already in your library',
      rejected: `Refused: ${item.message}`,
      failed: `Failed: ${item.message}`,
    }[item.state];
    const retry =
      item.state === 'failed' || item.state === 'rejected'
        ? h(
            'button',
            {
              type: 'button',
              onclick: () => {
                item.state = 'queued';
                this.render(item);
                this.pump();
              },
            },
            `Retry ${name}`,
          )
        : null;
    item.row.className = `upload ${item.state}`;
    fill(
      item.row,
      item.photo ? h('ul', { class: 'grid mini' }, photoTile(item.photo)) : h('span', { class: 'pending', 'aria-hidden': 'true' }),
      h('span', { class: 'name' }, name),
      h('span', { class: 'state' }, state),
      item.state === 'uploading' || item.state === 'queued'
        ? h('progress', { max: item.file.size || 1, value: item.sent, 'aria-label': `${name} uploaded` })
        : null,
      retry,
    );
  }

  summarise() {
    const bytes = this.items.reduce((sum, item) => sum + item.file.size, 0);
    const sent = this.items.reduce(
      (sum, item) => sum + (item.state === 'uploading' ? item.sent : item.state === 'queued' ? 0 : item.file.size),
      0,
    );
    const finished = this.items.filter((item) => item.state !== 'queued' && item.state !== 'uploading').length;
    const problems = this.items.filter((item) => item.state === 'failed' || item.state === 'rejected').length;
    this.total.textContent =
      `${finished} of ${this.items.length} finished, ${megabytes(sent)} of ${megabytes(bytes)}` +
      (problems > 0 ? `; ${problems} not added` : '');
  }
}
