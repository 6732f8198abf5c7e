/** Human-readable validation reports (the CLI prints these; the server sends the structured form). */
import type { PromptError, ValidationResult } from "./types.js";

/** Formats a top-level error and per-node errors as indented text, one problem per line. */
export function formatValidationReport(error: PromptError | undefined, nodeErrors: ValidationResult["node_errors"] = {}): string {
  const lines: string[] = [];
  if (error) lines.push(`error: ${error.message} [${error.type}]`);
  const ids = Object.keys(nodeErrors);
  for (const id of ids) {
    const { class_type, errors } = nodeErrors[id];
    lines.push(`  node ${id} (${class_type}):`);
    for (const e of errors) {
      lines.push(`    - ${e.message} [${e.type}]`);
      if (e.details) lines.push(`      ${e.details}`);
    }
  }
  if (error?.details && ids.length === 0) lines.push(`  ${error.details}`);
  return lines.join("\n");
}
