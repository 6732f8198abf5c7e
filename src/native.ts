/**
 * Typed view of the native addon (`build/Release/glide_native.node`).
 * Every function the `.node` file exposes is declared here; the rest of the library imports it from
 * this module only, so the JS/C++ boundary is documented in one place.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const require = createRequire(import.meta.url);
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The raw addon interface. Extended by each feature as it lands. */
export interface NativeAddon {
  /** Number of threads the native runtime uses. */
  threadCount(): number;
}

function loadAddon(): NativeAddon {
  const candidates = ["build/Release/glide_native.node", "build/Debug/glide_native.node"];
  const errors: string[] = [];
  for (const rel of candidates) {
    try {
      return require(path.join(packageRoot, rel)) as NativeAddon;
    } catch (err) {
      errors.push(`${rel}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    `glide-studio: the native addon is not built (run \`npm install\` or \`npm run build:native\`).\n  ${errors.join("\n  ")}`,
  );
}

/** The loaded addon (loaded on first import). */
export const native: NativeAddon = loadAddon();
