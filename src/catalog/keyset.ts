import { type SQL, sql } from 'drizzle-orm';

export type KeyValue = number | string;

/**
 * A list order that pages by the sort key itself (keyset pagination): a page starts after the
 * last key the client saw, so it costs an index seek however deep it is, and rows added or
 * removed meanwhile never shift it. The last key is unique, so the order is total.
 */
export interface KeysetOrder<Row> {
  /** Names the order inside cursors: a cursor of another list or order is refused, not misread. */
  name: string;
  keys: SQL[];
  direction: 'asc' | 'desc';
  /** The row's values of `keys`, as SQL compares them. */
  values: (row: Row) => KeyValue[];
}

/** One page: after and/or before a key, at most `limit` rows; `inverted` reads backwards from `before` (Relay's `last`). */
export interface KeysetPage {
  after?: KeyValue[];
  before?: KeyValue[];
  limit: number;
  inverted: boolean;
}

function beyond<Row>(order: KeysetOrder<Row>, position: KeyValue[], forwards: boolean): SQL {
  const ascending = (order.direction === 'asc') === forwards;
  if (order.keys.length === 2) {
    // Written out rather than as a row value: SQLite seeks an index on a row-value range only when
    // every key is a plain column, and a capture-time key is an expression.
    const [key, tiebreak] = order.keys as [SQL, SQL];
    const [value, tiebreakValue] = position as [KeyValue, KeyValue];
    return ascending
      ? sql`${key} >= ${value} AND (${key} > ${value} OR ${tiebreak} > ${tiebreakValue})`
      : sql`${key} <= ${value} AND (${key} < ${value} OR ${tiebreak} < ${tiebreakValue})`;
  }
  const keys = sql.join(order.keys, sql`, `);
  const values = sql.join(
    position.map((value) => sql`${value}`),
    sql`, `,
  );
  return ascending ? sql`(${keys}) > (${values})` : sql`(${keys}) < (${values})`;
}

/** The page's bounds as a condition (undefined when it has none). */
export function keysetBounds<Row>(order: KeysetOrder<Row>, page: KeysetPage): SQL | undefined {
  const bounds: SQL[] = [];
  if (page.after) bounds.push(beyond(order, page.after, true));
  if (page.before) bounds.push(beyond(order, page.before, false));
  return bounds.length === 0 ? undefined : sql.join(bounds, sql` AND `);
}

/** ORDER BY for the page: backwards when it is read from `before`. */
export function keysetOrderBy<Row>(order: KeysetOrder<Row>, page: KeysetPage): SQL {
  const ascending = (order.direction === 'asc') !== page.inverted;
  const direction = sql.raw(ascending ? 'ASC' : 'DESC');
  return sql.join(
    order.keys.map((key) => sql`${key} ${direction}`),
    sql`, `,
  );
}

/** Whether a decoded cursor position fits the order: as many keys, each a number or string. */
export function fitsOrder<Row>(order: KeysetOrder<Row>, position: unknown[]): position is KeyValue[] {
  return position.length === order.keys.length && position.every((value) => typeof value === 'number' || typeof value === 'string');
}
