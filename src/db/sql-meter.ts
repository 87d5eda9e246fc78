import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type Database from 'better-sqlite3';

export interface SqlUsage {
  statements: number;
  durationMs: number;
  /** Reads answered from rows remembered since the last commit (PreparedReads), without SQL. */
  remembered: number;
}

const current = new AsyncLocalStorage<SqlUsage>();

/** Runs `fn` with a fresh tally: every statement it causes, however deep, is counted and timed. */
export function meterSql<T>(fn: () => T): { usage: SqlUsage; result: T } {
  const usage: SqlUsage = { statements: 0, durationMs: 0, remembered: 0 };
  return { usage, result: current.run(usage, fn) };
}

/** The tally of the request in progress, if one is being metered. */
export function currentSqlUsage(): SqlUsage | undefined {
  return current.getStore();
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
        const usage = current.getStore();
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
