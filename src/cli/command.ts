/** What every CLI command module provides. */

/** A `glide-studio <name>` command. */
export interface CliCommand {
  name: string;
  /** One line for `glide-studio --help`. */
  summary: string;
  /** The command's `--help` text. */
  help: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** The models folder when none is given: `$GLIDE_STUDIO_MODELS`, else `./models`. */
export function defaultModelsDir(): string {
  return process.env.GLIDE_STUDIO_MODELS || "models";
}
