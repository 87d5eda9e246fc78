import type Database from 'better-sqlite3';
import type { SQL } from 'drizzle-orm';
import { SQLiteDialect } from 'drizzle-orm/sqlite-core';

const dialect = new SQLiteDialect();

/** Past this many distinct texts the cache starts over: texts are few (one per query shape and kind of viewer). */
const MAX_STATEMENTS = 500;

/**
 * Reads written as drizzle `sql` fragments (so the access rules compose into them), run as
 * statements prepared once per text: preparing is most of what a small read costs, and the
 * texts repeat on every request while only the parameters change.
 */
export class PreparedReads {
  private readonly statements = new Map<string, PreparedRead>();

  constructor(private readonly sqlite: Database.Database) {}

  all<Row>(query: SQL): Row[] {
    const { sql, params } = dialect.sqlToQuery(query);
    const { statement, toRow } = this.prepared(sql);
    return (statement.all(...params) as unknown[][]).map(toRow) as Row[];
  }

  get<Row>(query: SQL): Row | undefined {
    const { sql, params } = dialect.sqlToQuery(query);
    const { statement, toRow } = this.prepared(sql);
    const values = statement.get(...params) as unknown[] | undefined;
    return values === undefined ? undefined : (toRow(values) as Row);
  }

  private prepared(text: string): PreparedRead {
    let read = this.statements.get(text);
    if (read === undefined) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      const statement = this.sqlite.prepare(text).raw(true);
      read = { statement, toRow: rowBuilder(statement.columns().map((column) => column.name)) };
      this.statements.set(text, read);
    }
    return read;
  }
}

interface PreparedRead {
  statement: Database.Statement;
  toRow: (values: unknown[]) => unknown;
}

/**
 * Rows come from SQLite as arrays and become objects through one literal per statement: the
 * driver's own objects gain their keys one at a time, which costs twice the read on wide rows.
 */
function rowBuilder(names: string[]): (values: unknown[]) => unknown {
  const fields = names.map((name, index) => `${JSON.stringify(name)}: values[${index}]`).join(', ');
  return new Function('values', `return { ${fields} };`) as (values: unknown[]) => unknown;
}
