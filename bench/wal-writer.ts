// The second process of the WAL benchmark: writes import-sized transactions until told to stop.
// argv: <database file> <journal mode>
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

const [file, mode] = process.argv.slice(2);
if (!file || (mode !== 'wal' && mode !== 'delete')) throw new Error('usage: wal-writer.ts <db> <wal|delete>');
const db = new Database(file);
db.pragma('busy_timeout = 5000');
db.pragma(`journal_mode = ${mode}`);
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');

const insertPhoto = db.prepare(
  `INSERT INTO photos (public_id, title, content_hash, byte_size, mime_type, original_extension, width, height, status)
   VALUES (?, ?, ?, 1000, 'image/jpeg', 'jpg', 4000, 3000, 'READY')`,
);
const insertMembership = db.prepare(
  `INSERT INTO album_photos (album_id, photo_id, position)
   VALUES (1, ?, (SELECT coalesce(max(position), 0) + 1024 FROM album_photos WHERE album_id = 1))`,
);
const write = db.transaction(() => {
  const id = randomBytes(16).toString('base64url');
  const row = insertPhoto.run(id, `bench ${id}`, randomBytes(32).toString('hex'));
  insertMembership.run(row.lastInsertRowid);
});

let writes = 0;
let busy = 0;
let stopping = false;
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') stopping = true;
});
process.send?.({ type: 'ready' });
const loop = () => {
  const until = Date.now() + 20;
  while (Date.now() < until) {
    try {
      write();
      writes++;
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) busy++;
      else throw error;
    }
  }
  if (stopping) {
    process.send?.({ type: 'done', writes, busy }, () => process.exit(0));
    return;
  }
  setImmediate(loop);
};
loop();
