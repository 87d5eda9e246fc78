import Database from 'better-sqlite3';

export interface CapturedStatement {
  source: string;
  /** The values it was first run with, so its plan can be asked for as it ran. */
  params: unknown[];
  database: Database.Database;
}

/**
 * Records every statement any better-sqlite3 connection in this process prepares from now on
 * (a server started in-process included), with the parameters of its first run; `stop` puts
 * prepare back. It observes the real driver, it does not stand in for it.
 */
export function captureStatements(): { statements: CapturedStatement[]; stop: () => void } {
  const statements: CapturedStatement[] = [];
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function capturedPrepare(this: Database.Database, source: string) {
    const statement = prepare.call(this, source);
    const captured: CapturedStatement = { source, params: [], database: this };
    let seen = false;
    for (const method of ['all', 'get', 'iterate', 'run'] as const) {
      const run = statement[method] as (...params: unknown[]) => unknown;
      if (typeof run !== 'function') continue;
      (statement as unknown as Record<string, unknown>)[method] = function capturedRun(this: unknown, ...params: unknown[]) {
        if (!seen) {
          seen = true;
          captured.params = params;
          statements.push(captured);
        }
        return run.apply(this, params);
      };
    }
    return statement;
  } as typeof prepare;
  return {
    statements,
    stop: () => {
      Database.prototype.prepare = prepare;
    },
  };
}
