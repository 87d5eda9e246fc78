import { sql } from 'drizzle-orm';

/**
 * The database's clock in whole milliseconds since the epoch, for defaults and updates alike:
 * integers sort, compare and page exactly, unlike Date round-trips.
 */
export const NOW_MS = sql`(cast(unixepoch('subsec') * 1000 as integer))`;
