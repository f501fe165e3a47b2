/**
 * The explicit table of subcommands (no registration by side effect). Each lives in its own file.
 */
import type { Command } from "./command.js";
import { benchCommand } from "./bench.js";
import { peCommand } from "./pe/index.js";

export const COMMANDS: Record<string, Command> = {
  pe: peCommand,
  bench: benchCommand,
};
