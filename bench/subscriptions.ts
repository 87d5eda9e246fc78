// Subscriptions: how long a commit made in another process takes to reach subscribers, and what
// subscribers cost the server while nothing changes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'graphql';
import { applyMigrations, openDatabase } from '../src/db/client.ts';
import { type EventStream, subscribe } from '../test/helpers/events.ts';
import { formatNumber } from './lib/format.ts';
import { startServer } from './lib/server-process.ts';

export interface SubscriptionBenchOptions {
  /** Seconds the server's CPU is measured for, idle, with and without subscribers. */
  seconds: number;
  /** Commits timed per row. */
  samples?: number;
}

const SUBSCRIBERS = 100;
const LIBRARY_CHANGED = parse('subscription { libraryChanged { albums { id title } } }');
const ALBUM = 'bench-album-subscribed';

type Change = { libraryChanged: { albums: { title: string }[] } };

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
}

/** Waits for the event naming `title` on each stream; the ms from `since` until each arrived. */
async function arrivals(streams: EventStream<Change>[], title: string, since: number): Promise<number[]> {
  return Promise.all(
    streams.map(async (stream) => {
      for (;;) {
        const event = await stream.next(5_000);
        if (event.data?.libraryChanged.albums.some((album) => album.title === title)) return performance.now() - since;
      }
    }),
  );
}

export async function benchSubscriptions(options: SubscriptionBenchOptions): Promise<string> {
  const samples = options.samples ?? 50;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-subscriptions-'));
  const seeded = openDatabase(path.join(dataDir, 'lightbox.db'));
  applyMigrations(seeded);
  seeded.sqlite.prepare(`INSERT INTO albums (public_id, title, visibility) VALUES ('${ALBUM}', 'start', 'PUBLIC')`).run();
  seeded.close();
  const server = await startServer('Lightbox', 'lightbox.ts', [dataDir]);
  await server.settled();
  const url = `http://127.0.0.1:${server.port}`;
  // This process writes as a CLI import or a `lightbox worker` would: its own connection, its own commits.
  const writer = new Database(path.join(dataDir, 'lightbox.db'));
  writer.pragma('busy_timeout = 5000');
  const retitle = writer.prepare('UPDATE albums SET title = ? WHERE public_id = ?');
  const streams: EventStream<Change>[] = [];
  try {
    const idleCpu = async () => {
      const before = await server.cpuSeconds();
      await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
      return ((await server.cpuSeconds()) - before) / options.seconds;
    };
    const noneIdle = await idleCpu();
    const latencies = async (listening: EventStream<Change>[], label: string) => {
      const all: number[] = [];
      const last: number[] = [];
      for (let sample = 0; sample < samples; sample++) {
        const title = `${label} ${sample}`;
        retitle.run(title, ALBUM);
        const arrived = await arrivals(listening, title, performance.now());
        all.push(...arrived);
        last.push(Math.max(...arrived));
        // Apart, so each commit is timed alone (the poll's phase against the commit is what varies).
        await new Promise((resolve) => setTimeout(resolve, 37));
      }
      return { all: all.sort((a, b) => a - b), last: last.sort((a, b) => a - b) };
    };
    streams.push(await subscribe<Change, never>(url, LIBRARY_CHANGED));
    const alone = await latencies(streams, 'alone');
    for (let index = 1; index < SUBSCRIBERS; index++) streams.push(await subscribe<Change, never>(url, LIBRARY_CHANGED));
    const manyIdle = await idleCpu();
    const many = await latencies(streams, 'many');
    const ms = (value: number) => formatNumber(value, 1);
    return [
      `| commit in another process → event at the subscriber | p50 | p99 |`,
      '|---|--:|--:|',
      `| 1 subscriber | ${ms(percentile(alone.all, 0.5))} ms | ${ms(percentile(alone.all, 0.99))} ms |`,
      `| ${SUBSCRIBERS} subscribers, each event | ${ms(percentile(many.all, 0.5))} ms | ${ms(percentile(many.all, 0.99))} ms |`,
      `| ${SUBSCRIBERS} subscribers, the last to hear of each commit | ${ms(percentile(many.last, 0.5))} ms | ${ms(percentile(many.last, 0.99))} ms |`,
      '',
      `| server CPU while nothing changes (${options.seconds} s each) | CPU |`,
      '|---|--:|',
      `| no subscriber | ${formatNumber(noneIdle * 100, 2)}% of a core |`,
      `| ${SUBSCRIBERS} idle subscribers | ${formatNumber(manyIdle * 100, 2)}% of a core |`,
      '',
      `${samples} commits per row, each an \`UPDATE\` of a public album's title by this process's own connection (as a CLI import or \`lightbox worker\` writes), ${SUBSCRIBERS} anonymous subscribers over SSE in this process.`,
    ].join('\n');
  } finally {
    for (const stream of streams) stream.close();
    writer.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${await benchSubscriptions({ seconds: Number(process.env.SECONDS_IDLE ?? '5') })}\n`);
}
