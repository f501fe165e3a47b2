/**
 * TEST-ONLY: `extrapos train|eval|generate` exactly as the real CLI runs them, but with the plain-JS
 * toy model (src/train/testing/toy-model.ts) as the model factory, so the CLI's happy paths are
 * tested end to end before (and independently of) the engine-backed models.
 * Usage: node dist/cli/testing/toy-cli.js <train|eval|generate> [options]
 */
import { reportError } from "../report-error.js";
import { createToyModel } from "../../train/testing/toy-model.js";
import type { Command } from "../command.js";
import { makeEvalCommand } from "../eval.js";
import { makeGenerateCommand } from "../generate.js";
import { makeTrainCommand } from "../train.js";

const delay = Number(process.env.TOY_STEP_DELAY_MS ?? 0);
const factory = async (): Promise<typeof createToyModel> => (cfg, o) => createToyModel(cfg, { ...o, stepDelayMs: delay });
const commands: Record<string, Command> = { train: makeTrainCommand(factory), eval: makeEvalCommand(factory), generate: makeGenerateCommand(factory) };
const [name, ...rest] = process.argv.slice(2);

Promise.resolve()
  .then(() => commands[name!]!.run(rest))
  .then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.exitCode = reportError(e);
    },
  );
