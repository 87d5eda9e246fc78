import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { applyMigrations, openDatabase } from '../src/db/client.ts';
import { formatNumber } from './lib/format.ts';

export interface WalBenchOptions {
  seconds: number;
}

/** What a gallery page reads: the newest photos of an album, in album order. */
const READ = `SELECT photos.public_id, photos.title, photos.width, photos.height
  FROM album_photos JOIN photos ON photos.id = album_photos.photo_id
  WHERE album_photos.album_id = 1 ORDER BY album_photos.position DESC LIMIT 50`;

async function seed(file: string): Promise<void> {
  const handle = openDatabase(file);
  applyMigrations(handle);
  const { sqlite } = handle;
  sqlite.prepare("INSERT INTO albums (public_id, title, visibility) VALUES ('bench-album-0000000000', 'bench', 'PUBLIC')").run();
  const insert = sqlite.prepare(
    `INSERT INTO photos (public_id, title, content_hash, byte_size, mime_type, original_extension, width, height, status)
     VALUES (?, ?, ?, 1000, 'image/jpeg', 'jpg', 4000, 3000, 'READY')`,
  );
  const member = sqlite.prepare('INSERT INTO album_photos (album_id, photo_id, position) VALUES (1, ?, ?)');
  sqlite.transaction(() => {
    for (let i = 1; i <= 5000; i++) {
      const row = insert.run(randomBytes(16).toString('base64url'), `seed ${i}`, randomBytes(32).toString('hex'));
      member.run(row.lastInsertRowid, i * 1024);
    }
  })();
  handle.close();
}

function startWriter(file: string, mode: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./wal-writer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, file, mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
    child.once('message', () => resolve(child));
  });
}

function stopWriter(child: ChildProcess): Promise<{ writes: number; busy: number }> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('message', (message: { type?: string; writes?: number; busy?: number }) => {
      if (message.type === 'done') resolve({ writes: message.writes ?? 0, busy: message.busy ?? 0 });
    });
    child.send({ type: 'stop' });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Reader latency while a second process writes continuously, journal_mode WAL vs DELETE, with
 * the server's own settings (synchronous FULL, busy_timeout 5 s). The reader yields to the event
 * loop between reads, as a server does between requests.
 */
export async function benchWal(options: WalBenchOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-wal-'));
  const lines = [
    '| journal mode | reads | read p50 | read p99 | read max | SQLITE_BUSY (reader) | writes/s | SQLITE_BUSY (writer) |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  try {
    for (const mode of ['wal', 'delete'] as const) {
      const file = path.join(workDir, `${mode}.db`);
      await seed(file);
      const reader = new Database(file);
      reader.pragma('busy_timeout = 5000');
      reader.pragma(`journal_mode = ${mode}`);
      const statement = reader.prepare(READ);
      process.stderr.write(`  WAL: ${mode} journal, reader here, writer in another process\n`);
      const writer = await startWriter(file, mode);
      const latencies: number[] = [];
      let busy = 0;
      const started = Date.now();
      while (Date.now() - started < options.seconds * 1000) {
        const t = performance.now();
        try {
          statement.all();
          latencies.push(performance.now() - t);
        } catch (error) {
          if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) busy++;
          else throw error;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const elapsed = (Date.now() - started) / 1000;
      const written = await stopWriter(writer);
      reader.close();
      latencies.sort((a, b) => a - b);
      lines.push(
        `| ${mode.toUpperCase()} | ${formatNumber(latencies.length)} | ${formatNumber(percentile(latencies, 50), 3)} ms | ${formatNumber(percentile(latencies, 99), 3)} ms | ${formatNumber(latencies.at(-1) ?? Number.NaN, 1)} ms | ${busy} | ${formatNumber(written.writes / elapsed)} | ${written.busy} |`,
      );
    }
    return lines.join('\n');
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
