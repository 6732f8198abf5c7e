/** Throws a TypeError naming `where` unless `ids` is an array of non-negative integers. */
export function checkIds(where: string, ids: unknown): asserts ids is number[] {
  if (!Array.isArray(ids)) throw new TypeError(`${where}: ids must be an array of token ids, got ${typeof ids}`);
  const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0);
  if (bad >= 0) throw new TypeError(`${where}: ids[${bad}] = ${String(ids[bad])} is not a token id`);
}

/** Throws a TypeError naming `where` and `name` unless `value` is an integer ≥ `min`. */
export function checkContext(where: string, name: string, value: unknown, min: number): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new TypeError(`${where}: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}
