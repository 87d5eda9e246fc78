import type Database from 'better-sqlite3';
import type { SQL } from 'drizzle-orm';
import { SQLiteDialect } from 'drizzle-orm/sqlite-core';
import { meterSync, type SqlUsage } from '../sql-meter.ts';

const dialect = new SQLiteDialect();

/** Past this many distinct texts the cache starts over: texts are few (one per query shape and kind of viewer). */
const MAX_STATEMENTS = 500;
/** Rows remembered between commits; past it the memory starts over. */
const MAX_REMEMBERED_ROWS = 50_000;

/** What catalog reads need: the rows of a drizzle `sql` query, shared and never to be changed. */
export interface Reads {
  all<Row>(query: SQL): readonly Row[];
  get<Row>(query: SQL): Row | undefined;
  /**
   * What `make` makes of a read's rows (records, maps by id), made once per remembered read and
   * shared like the rows: `make` must be one function for all calls (declared once, not a
   * closure per call), and callers must not change what it made.
   */
  made<Row, Made>(query: SQL, make: (rows: readonly Row[]) => Made): Made;
  /**
   * Whether rows are remembered at the request's version, and so come back as the same objects:
   * only then is it worth keeping anything alongside them (a fresh row per read would only churn
   * the collector).
   */
  readonly remembers: boolean;
}

/** A read's rows at the remembered version, and what was made of them (`Reads.made`), by the function that made it. */
interface RememberedRead {
  rows: readonly unknown[];
  made?: Map<(rows: readonly never[]) => unknown, unknown>;
}

/**
 * Reads written as drizzle `sql` fragments (so the access rules compose into them), run as
 * statements prepared once per text: preparing is most of what a small read costs, and the
 * texts repeat on every request while only the parameters change.
 *
 * With `remember`, the rows of each read (text and parameters) are remembered for the database
 * version a request is answered as of (read once at its start, see DatabaseVersion): between
 * writes, different queries over the same albums and photos (another selection, another page of
 * variables) read the same rows, and a gallery's writes are rare. A request given no version (one
 * that may write, and must read its own writes) reads afresh; so does one older than the rows
 * remembered.
 */
export class PreparedReads {
  private readonly statements = new Map<string, PreparedRead>();
  /** Rows read at `rememberedAt`, by statement text and parameters; never changed once read. */
  private remembered = new Map<string, RememberedRead>();
  private rememberedRows = 0;
  private rememberedAt = -1;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly remember: boolean,
  ) {}

  /** One request's reads, counted in its tally (Server-Timing), remembered at `version` when it has one. */
  forRequest(usage: SqlUsage | undefined, version?: number): Reads {
    const at = this.remember && version !== undefined && version >= this.rememberedAt ? version : undefined;
    return {
      all: <Row>(query: SQL) => this.readOf(query, usage, at).rows as readonly Row[],
      get: <Row>(query: SQL) => this.readOf(query, usage, at).rows[0] as Row | undefined,
      made: <Row, Made>(query: SQL, make: (rows: readonly Row[]) => Made) => this.madeOf(this.readOf(query, usage, at), make, at),
      remembers: at !== undefined,
    };
  }

  private madeOf<Row, Made>(read: RememberedRead, make: (rows: readonly Row[]) => Made, version: number | undefined): Made {
    const rows = read.rows as readonly Row[];
    if (version === undefined) return make(rows);
    read.made ??= new Map();
    if (read.made.has(make)) return read.made.get(make) as Made;
    const made = make(rows);
    read.made.set(make, made);
    return made;
  }

  private readOf(query: SQL, usage: SqlUsage | undefined, version: number | undefined): RememberedRead {
    const { sql, params } = dialect.sqlToQuery(query);
    if (version === undefined || version < this.rememberedAt) return { rows: meterSync(usage, () => this.read(sql, params)) };
    if (version !== this.rememberedAt || this.rememberedRows > MAX_REMEMBERED_ROWS) {
      this.remembered = new Map();
      this.rememberedRows = 0;
      this.rememberedAt = version;
    }
    const key = `${sql}\0${JSON.stringify(params)}`;
    let read = this.remembered.get(key);
    if (read === undefined) {
      read = { rows: meterSync(usage, () => this.read(sql, params)) };
      this.remembered.set(key, read);
      this.rememberedRows += read.rows.length + 1;
    } else if (usage !== undefined) {
      usage.remembered++;
    }
    return read;
  }

  private read(sql: string, params: unknown[]): unknown[] {
    const { statement, toRow } = this.prepared(sql);
    return (statement.all(...params) as unknown[][]).map(toRow);
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
