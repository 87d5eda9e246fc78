// Commits once a second to the data dir argv[2] for argv[3] seconds, as another process would (an
// edit, an import): a photo's title, so every reader's memory of the database goes stale.
import path from 'node:path';
import { openDatabase } from '../src/db/client.ts';

const [dataDir, seconds] = process.argv.slice(2);
if (dataDir === undefined || seconds === undefined) throw new Error('usage: scale-writer.ts <data dir> <seconds>');
const database = openDatabase(path.join(dataDir, 'lightbox.db'));
const retitle = database.sqlite.prepare(
  `UPDATE photos SET title = 'Written ' || ?, updated_at = ? WHERE id = (SELECT min(id) FROM photos)`,
);
let written = 0;
const timer = setInterval(() => {
  retitle.run(++written, Date.now());
}, 1000);
setTimeout(() => {
  clearInterval(timer);
  database.close();
}, Number(seconds) * 1000);
