/**
 * Models loaded once and shared: between nodes of one prompt, and between runs. Keyed by what identifies
 * a loaded model (path, load options, a fingerprint of the file), so a replaced file loads afresh.
 */

/** Something that holds native memory and can give it back. */
export interface Disposable {
  dispose(): void;
}

/** Which file a model was loaded from, and which version of it. */
export interface ModelSource {
  file: string;
  /** A fingerprint of the file (size, mtime): models of another version of the same file are stale. */
  version: string;
}

interface Entry {
  source: ModelSource;
  value: Promise<unknown>;
}

/** A cache of loaded models. */
export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * Returns the model cached under `key` (which names the file, its version and the load options), or
   * loads it. Concurrent callers share one load. Models loaded from another version of the same file
   * are disposed: the file was replaced.
   */
  async get<T>(key: string, source: ModelSource, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) return hit.value as Promise<T>;
    for (const [otherKey, entry] of this.entries) {
      if (entry.source.file === source.file && entry.source.version !== source.version) this.evict(otherKey);
    }
    const value = load();
    this.entries.set(key, { source, value });
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
