/**
 * Cache signatures: a node's outputs are reusable when its class, literal inputs, the signatures of the
 * nodes it links from and the fingerprint of its external files are all unchanged.
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted, so equal values give equal text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** What identifies one node's computation. */
export interface SignatureParts {
  classType: string;
  literals: Record<string, unknown>;
  /** Linked inputs: the source node's signature and output index. */
  links: Record<string, [string, number]>;
  fingerprint?: string;
  /** Set for nodes whose effect is tied to their place in the graph (output nodes). */
  nodeId?: string;
}

/** A hex digest of a node's signature parts. */
export function nodeSignature(parts: SignatureParts): string {
  return createHash("sha256").update(stableStringify(parts)).digest("hex");
}
