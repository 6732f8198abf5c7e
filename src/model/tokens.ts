/** Validation and packing of prompt tokens (one row of `text_ctx` ids and mask flags per prompt). */
import type { NativeTokenBatch } from "../native.js";

/** Token ids and mask, one row per prompt, each `text_ctx` long (as `GlideModel.tokenize` returns). */
export interface PromptTokens {
  tokens: number[][];
  mask: boolean[][];
}

/**
 * Checks rows × text_ctx tokens (integers in [0, n_vocab)) and a matching boolean mask, and packs them for
 * the addon. `batch` (when given) is the row count the caller's x has.
 */
export function packTokens(
  where: string,
  t: PromptTokens,
  ctx: { text_ctx: number; n_vocab: number },
  batch?: number,
): NativeTokenBatch {
  if (typeof t !== "object" || t === null || !Array.isArray(t.tokens) || !Array.isArray(t.mask)) {
    throw new TypeError(`${where}: tokens and mask must be arrays of rows (number[][] and boolean[][])`);
  }
  const rows = t.tokens.length;
  if (rows === 0) throw new Error(`${where}: tokens has no rows`);
  if (batch !== undefined && rows !== batch) throw new Error(`${where}: tokens has ${rows} rows but x has batch ${batch}`);
  if (t.mask.length !== rows) throw new Error(`${where}: mask has ${t.mask.length} rows but tokens has ${rows}`);
  const n = ctx.text_ctx;
  const tokens = new Int32Array(rows * n);
  const mask = new Uint8Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const tr = t.tokens[r];
    const mr = t.mask[r];
    if (!Array.isArray(tr) || tr.length !== n) {
      throw new Error(`${where}: tokens row ${r} must hold text_ctx = ${n} ids, got ${Array.isArray(tr) ? tr.length : typeof tr}`);
    }
    if (!Array.isArray(mr) || mr.length !== n) {
      throw new Error(`${where}: mask row ${r} must hold text_ctx = ${n} flags, got ${Array.isArray(mr) ? mr.length : typeof mr}`);
    }
    for (let i = 0; i < n; i++) {
      const id = tr[i];
      if (!Number.isInteger(id) || id < 0 || id >= ctx.n_vocab) {
        throw new Error(`${where}: token ${JSON.stringify(id)} at [${r}, ${i}] is not an id in [0, ${ctx.n_vocab})`);
      }
      if (typeof mr[i] !== "boolean") throw new TypeError(`${where}: mask[${r}][${i}] must be a boolean`);
      tokens[r * n + i] = id;
      mask[r * n + i] = mr[i] ? 1 : 0;
    }
  }
  return { batch: rows, tokens, mask };
}
