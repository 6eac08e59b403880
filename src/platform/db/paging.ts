import type { SelectQueryBuilder } from 'kysely';
import { type LocalizedText, notFound } from '../http/errors.ts';

export interface PageRequest {
  limit: number;
  /** The last id of the previous page; ids sort by time, so pages run newest first. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * Newest-first keyset paging over a table whose `id` sorts by creation: one more row than asked
 * tells whether a next page exists, without a count.
 */
export async function cursorPage<DB, TB extends keyof DB, O extends { id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  // The id column, qualified when the query joins.
  idColumn = 'id',
): Promise<Page<O>> {
  // biome-ignore lint/suspicious/noExplicitAny: Kysely cannot type a column name given at run time
  const byId = query as SelectQueryBuilder<any, any, O>;
  const filtered = page.cursor ? byId.where(idColumn, '<', page.cursor) : byId;
  const rows = await filtered
    .orderBy(idColumn, 'desc')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit);
  return { items, next_cursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}

/** The row, or the standard 404 naming what was not found. */
export function found<T>(row: T | undefined, what: LocalizedText): T {
  if (row === undefined) throw notFound(what);
  return row;
}
