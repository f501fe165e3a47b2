/**
 * The explicit table of subcommands (no registration by side effect). Each lives in its own file.
 */
import type { Command } from "./command.js";
import { benchCommand } from "./bench.js";
import { evalCommand } from "./eval.js";
import { generateCommand } from "./generate.js";
import { labCommand } from "./lab.js";
import { peCommand } from "./pe/index.js";
import { trainCommand } from "./train.js";
import { workerCommand } from "./worker.js";

export const COMMANDS: Record<string, Command> = {
  pe: peCommand,
  train: trainCommand,
  eval: evalCommand,
  generate: generateCommand,
  bench: benchCommand,
  lab: labCommand,
  worker: workerCommand,
};
