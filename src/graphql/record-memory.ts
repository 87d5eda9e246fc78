/**
 * What GraphQL derives from a record, kept beside it by key. A record remembered between
 * commits (PreparedReads) is the same object for every request until the next commit, so what
 * it resolves to is made once per record instead of once per request. Records read afresh
 * (LIGHTBOX_READ_CACHE=false) are new objects every time: nothing is kept for them, since an
 * entry per fresh row would only churn the collector.
 */
export class RecordMemory<Record extends object, Value> {
  private readonly kept = new WeakMap<Record, Map<string, Value>>();

  recall(record: Record, key: string): Value | undefined {
    return this.kept.get(record)?.get(key);
  }

  keep(record: Record, key: string, value: Value): void {
    let byKey = this.kept.get(record);
    if (byKey === undefined) {
      byKey = new Map();
      this.kept.set(record, byKey);
    }
    byKey.set(key, value);
  }

  /** The value kept under the key, made now if there is none; `remembered` says whether the record is worth keeping for. */
  made(record: Record, key: string, remembered: boolean, make: () => Value): Value {
    if (!remembered) return make();
    let value = this.recall(record, key);
    if (value === undefined) {
      value = make();
      this.keep(record, key, value);
    }
    return value;
  }
}
