/** A drizzle relational query selection, as Pothos plans it: absent `columns` means every column. */
export interface Selection {
  columns?: Record<string, boolean>;
  with?: Record<string, Selection | true>;
  extras?: Record<string, unknown>;
  [option: string]: unknown;
}

function mergeRelation(a: Selection | true | undefined, b: Selection | true | undefined): Selection | true {
  if (a === undefined) return b ?? true;
  if (b === undefined) return a;
  if (a === true || b === true) return true;
  return mergeSelections(a, b);
}

/**
 * The union of two selections of the same table, so one statement loads what both asked for.
 * Options other than columns, relations and extras (ordering, limits) are taken from `a`.
 */
export function mergeSelections(a: Selection, b: Selection): Selection {
  const merged: Selection = { ...b, ...a };
  if (a.columns === undefined || b.columns === undefined) delete merged.columns;
  else merged.columns = { ...b.columns, ...a.columns };
  const relations = new Set([...Object.keys(a.with ?? {}), ...Object.keys(b.with ?? {})]);
  if (relations.size > 0) {
    merged.with = {};
    for (const name of relations) merged.with[name] = mergeRelation(a.with?.[name], b.with?.[name]);
  }
  if (a.extras !== undefined || b.extras !== undefined) merged.extras = { ...b.extras, ...a.extras };
  return merged;
}
