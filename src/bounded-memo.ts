/**
 * Values made once per key and kept, for hot paths that ask for the same few thousand keys over
 * and over (image paths, file paths, global ids, instants). A plain map emptied when it is full:
 * an LRU's bookkeeping costs more per lookup than the rare rebuild after a clear saves.
 */
export class BoundedMemo<Key, Value> {
  private readonly kept = new Map<Key, Value>();

  constructor(private readonly max: number) {}

  /** The value kept for `key`, or `make(key)`: one function declared once serves every key, with no closure per call. */
  get(key: Key, make: (key: Key) => Value): Value {
    let value = this.kept.get(key);
    if (value === undefined) {
      value = make(key);
      if (this.kept.size >= this.max) this.kept.clear();
      this.kept.set(key, value);
    }
    return value;
  }
}
