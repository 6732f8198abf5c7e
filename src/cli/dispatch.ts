/** The `glide-studio` command table and argument dispatch. */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CliCommand } from "./command.js";
import { convertCommand } from "./commands/convert.js";
import { modelsCommand } from "./commands/models.js";
import { nodesCommand } from "./commands/nodes.js";
import { runCommand } from "./commands/run.js";
import { serveCommand } from "./commands/serve.js";

/** Every command, in the order `--help` lists them. */
export const COMMANDS: CliCommand[] = [runCommand, serveCommand, nodesCommand, modelsCommand, convertCommand];

function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../package.json");
  return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: glide-studio <command> [options]

GLIDE text-to-image workflows: run them headless, serve the node editor, manage checkpoints.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run \`glide-studio <command> --help\` for a command's options.
Example: glide-studio run workflows/text2im.json --set 6.text="a corgi" --seed 42`;
}

/**
 * Runs the CLI with `argv` (the arguments after the program name); resolves to the exit code. Errors
 * print as one message line (set GLIDE_STUDIO_DEBUG=1 for the stack).
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    if (name === "help" && rest[0]) return main([rest[0], "--help"]);
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "-v" || name === "--version") {
    console.log(version());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`glide-studio: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const e = err as Error;
    console.error(`glide-studio ${name}: ${e.message}`);
    if (process.env.GLIDE_STUDIO_DEBUG) console.error(e.stack);
    return 1;
  }
}
