/**
 * Nesting depth of untrusted JSON values. Workflows arrive from strangers and from the network; a value
 * nested thousands of levels deep parses fine but overflows the stack of every recursive consumer after
 * it (structuredClone, JSON.stringify in error messages, the queue's persistence), so loaders refuse it
 * up front.
 */

/** Deepest nesting a workflow or prompt may use (real ones stay under 10). */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests arrays or objects more than `limit` levels deep (checked without recursion). */
export function nestedDeeperThan(value: unknown, limit: number = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v as object)) stack.push([child, depth + 1]);
  }
  return false;
}
