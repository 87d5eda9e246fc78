import { parseCursorConnectionArgs } from '@pothos/plugin-relay';
import { fitsOrder, type KeysetOrder, type KeysetPage, type KeyValue } from '../catalog/keyset.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './builder.ts';
import { requestError } from './request-errors.ts';

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export interface KeysetConnection<Row> {
  edges: { cursor: string; node: Row }[];
  pageInfo: { startCursor: string; endCursor: string; hasPreviousPage: boolean; hasNextPage: boolean };
}

/** A connection whose total is counted only when a query selects it. */
interface CountedConnection {
  countTotal: () => number;
}

/** The `totalCount` field of every counted connection: its count, run only when selected. */
export const totalCountField = {
  fields: <Field>(t: { int: (options: { resolve: (connection: unknown) => number }) => Field }) => ({
    totalCount: t.int({ resolve: (connection) => (connection as CountedConnection).countTotal() }),
  }),
};

/** A cursor as the server writes it before sealing: the order's name, then the row's sort key. */
function cursorOf<Row>(order: KeysetOrder<Row>, row: Row): string {
  return JSON.stringify([order.name, ...order.values(row)]);
}

function positionOf<Row>(order: KeysetOrder<Row>, cursor: string | undefined, argument: string): KeyValue[] | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed[0] === order.name) {
    const position = parsed.slice(1);
    if (fitsOrder(order, position)) return position;
  }
  // Sealed by this server, but for another list or order.
  throw requestError('INVALID_CURSOR', `"${argument}" is a cursor of another list or order than this one`);
}

/** An edge whose cursor is written only if a query asks for it (grids select `nodes`, and seldom cursors). */
class KeysetEdge<Row> {
  constructor(
    private readonly order: KeysetOrder<Row>,
    readonly node: Row,
  ) {}

  get cursor(): string {
    return cursorOf(this.order, this.node);
  }
}

/**
 * A Relay connection over a keyset order: `first`/`after` and `last`/`before` become one
 * bounded, index-ordered read; cursors carry the sort key (sealed on the way out).
 */
export async function keysetConnection<Row>(
  args: ConnectionArgs,
  order: KeysetOrder<Row>,
  read: (page: KeysetPage) => readonly Row[] | Promise<readonly Row[]>,
): Promise<KeysetConnection<Row>> {
  const { before, after, limit, inverted, expectedSize, hasPreviousPage, hasNextPage } = parseCursorConnectionArgs({
    args,
    defaultSize: DEFAULT_PAGE_SIZE,
    maxSize: MAX_PAGE_SIZE,
  });
  const rows = await read({ after: positionOf(order, after, 'after'), before: positionOf(order, before, 'before'), limit, inverted });
  const page = rows.slice(0, expectedSize);
  if (inverted) page.reverse();
  const edges = page.map((row) => new KeysetEdge(order, row));
  // An empty page's cursors are the one it was asked from.
  const asked = args.after ?? args.before ?? '';
  return {
    edges,
    pageInfo: {
      get startCursor() {
        return edges[0]?.cursor ?? asked;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? asked;
      },
      hasPreviousPage: hasPreviousPage(rows.length),
      hasNextPage: hasNextPage(rows.length),
    },
  };
}
