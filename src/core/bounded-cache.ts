/**
 * A Map that forgets its oldest entry once it holds `limit`: the probe, the hover and the matrix see the
 * same certificates, names and TLS settings again and again, and a long-running extension host must not
 * grow without bound while remembering them.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly limit: number) {}

  /** The value cached for `key`, or `make()`'s, stored. When `make` throws, nothing is stored. */
  getOrCreate(key: K, make: () => V): V {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const value = make();
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
    return value;
  }
}
