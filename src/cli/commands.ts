/**
 * The explicit table of subcommands (no registration by side effect). Each lives in its own file and
 * is imported only when it runs: `extrapos generate` does not load the bench's queue (bullmq, ioredis)
 * or the lab's server, which is most of the start-up time before the first token.
 */
import type { Command } from "./command.js";
import { SUMMARIES } from "./summaries.js";

export interface CommandEntry {
  /** One line for `extrapos --help`. */
  summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  pe: { summary: SUMMARIES.pe, load: async () => (await import("./pe/index.js")).peCommand },
  train: { summary: SUMMARIES.train, load: async () => (await import("./train.js")).trainCommand },
  eval: { summary: SUMMARIES.eval, load: async () => (await import("./eval.js")).evalCommand },
  generate: { summary: SUMMARIES.generate, load: async () => (await import("./generate.js")).generateCommand },
  bench: { summary: SUMMARIES.bench, load: async () => (await import("./bench.js")).benchCommand },
  lab: { summary: SUMMARIES.lab, load: async () => (await import("./lab.js")).labCommand },
  worker: { summary: SUMMARIES.worker, load: async () => (await import("./worker.js")).workerCommand },
};
