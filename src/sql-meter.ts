import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type Database from 'better-sqlite3';

/** One request's tally of SQL, reported in its Server-Timing header and its log line. */
export interface SqlUsage {
  statements: number;
  durationMs: number;
  /** Reads answered from rows remembered since the last commit (PreparedReads), without SQL. */
  remembered: number;
}

export function newSqlUsage(): SqlUsage {
  return { statements: 0, durationMs: 0, remembered: 0 };
}

/**
 * The tally as a Server-Timing value: `sql`, how many statements ran and how long they took;
 * `remembered`, how many reads were answered from rows remembered since the last commit
 * (LIGHTBOX_READ_CACHE).
 */
export function sqlServerTiming(usage: SqlUsage): string {
  const sql = `sql;desc="${usage.statements}";dur=${usage.durationMs.toFixed(2)}`;
  return usage.remembered > 0 ? `${sql}, remembered;desc="${usage.remembered}"` : sql;
}

/** The tally that statements run right now count in: set only while a `meterSync` callback runs. */
let attributed: SqlUsage | undefined;
const inMutation = new AsyncLocalStorage<SqlUsage>();
let mutationsInFlight = 0;

/**
 * Counts in `usage` every statement `fn` runs before it returns. better-sqlite3 runs statements
 * synchronously, so what a request reads (its loaders' batches, its reads, its share link's
 * lookup) is counted by wrapping just those calls, with nothing that follows promises.
 */
export function meterSync<T>(usage: SqlUsage | undefined, fn: () => T): T {
  if (usage === undefined) return fn();
  const outer = attributed;
  attributed = usage;
  try {
    return fn();
  } finally {
    attributed = outer;
  }
}

/**
 * Counts in `usage` every statement `fn` causes until its promise settles, however deep: for
 * mutations, whose statements follow awaits (files written, passwords hashed). Following
 * promises is what AsyncLocalStorage does, by hooking every promise of the process, which in
 * Node 20 costs a query page a fifth of its time: so it is on only while a mutation runs.
 */
export async function meterAsync<T>(usage: SqlUsage | undefined, fn: () => Promise<T> | T): Promise<T> {
  if (usage === undefined) return fn();
  mutationsInFlight++;
  try {
    return await inMutation.run(usage, fn);
  } finally {
    mutationsInFlight--;
    // Exits no context in use: none is in flight. The next mutation turns it on again.
    if (mutationsInFlight === 0) inMutation.disable();
  }
}

/** The tally of the request whose statement is running, if it is being metered. */
export function currentSqlUsage(): SqlUsage | undefined {
  return attributed ?? inMutation.getStore();
}

const EXECUTING_METHODS = ['all', 'get', 'run', 'iterate'] as const;

/**
 * Times every statement this connection executes. better-sqlite3 runs statements
 * synchronously, so wall time around each call is the statement's own time.
 */
export function instrumentConnection(sqlite: Database.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    const statement = prepare(source) as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of EXECUTING_METHODS) {
      const execute = statement[method] as (...args: unknown[]) => unknown;
      statement[method] = function (this: unknown, ...args: unknown[]) {
        const usage = currentSqlUsage();
        if (usage === undefined) return execute.apply(this, args);
        const started = performance.now();
        try {
          return execute.apply(this, args);
        } finally {
          usage.statements++;
          usage.durationMs += performance.now() - started;
        }
      };
    }
    return statement;
  }) as unknown as typeof sqlite.prepare;
}
