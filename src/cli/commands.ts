/** The subcommands: `list` and `inspect`. Loaded only when one is asked for. */
import { inspectCommand } from "./inspect.ts";
import { listCommand } from "./list.ts";

/** Subcommand names main.ts dispatches on. */
export const COMMANDS = ["list", "inspect"] as const;

/** Runs the subcommand `args[0]` with the rest; returns the exit code. */
export function runCommand(args: readonly string[]): Promise<number> {
  return args[0] === "list" ? listCommand(args.slice(1)) : inspectCommand(args.slice(1));
}
