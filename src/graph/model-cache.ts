/**
 * Models loaded once and shared: between nodes of one prompt, and between runs. Keyed by what identifies
 * a loaded model (path, load options, a fingerprint of the file), so a replaced file loads afresh.
 */

/** Something that holds native memory and can give it back. */
export interface Disposable {
  dispose(): void;
}

interface Entry {
  /** Entries of the same `group` (file path) with another key are stale once a new one loads. */
  group: string;
  value: Promise<unknown>;
}

/** A cache of loaded models. */
export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * Returns the model cached under `key`, or loads it. Concurrent callers share one load. When a new key
   * loads for a `group` (the file path), models of that group under other keys (an older version of the
   * file, other options) are disposed.
   */
  async get<T>(key: string, group: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) return hit.value as Promise<T>;
    for (const [otherKey, entry] of this.entries) {
      if (entry.group === group) this.evict(otherKey);
    }
    const value = load();
    this.entries.set(key, { group, value });
    try {
      return await value;
    } catch (err) {
      // A failed load must not stay cached: the user fixes the file and runs again.
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
      throw err;
    }
  }

  /** Number of models held. */
  get size(): number {
    return this.entries.size;
  }

  /** Disposes every model (frees native memory). */
  clear(): void {
    for (const key of [...this.entries.keys()]) this.evict(key);
  }

  private evict(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    entry.value.then(
      (model) => {
        if (model && typeof (model as Disposable).dispose === "function") (model as Disposable).dispose();
      },
      () => undefined,
    );
  }
}
