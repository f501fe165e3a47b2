/**
 * `extrapos worker --queue URL [--artifacts DIR] [--threads N]`: runs the cells of queued studies
 * (`extrapos bench --queue URL`) on this machine until stopped. Each cell trains in a child process;
 * run folders go under --artifacts DIR (shared storage: any worker can resume or evaluate any cell),
 * or, without it, under ./extrapos-worker-runs on this machine (the coordinator records host and folder).
 * Ctrl-C / SIGTERM stops at once: a cell in progress is taken over by another worker once its lock
 * expires, from its last checkpoint when the storage is shared. See README "Outgrowing one machine".
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { checkRedis, parseRedisUrl } from "../queue/connection.js";
import { QUEUE_NAME } from "../queue/names.js";
import { startWorker } from "../queue/worker.js";
import { formatOptions, getNumber, getString, parseArgs, type OptionSpecs } from "./args.js";
import type { Command } from "./command.js";
import { SUMMARIES } from "./summaries.js";

export const WORKER_OPTIONS: OptionSpecs = {
  queue: { type: "string", help: "the Redis of the study queue (required)", metavar: "redis://[user:pass@]host:port[/db]" },
  artifacts: { type: "string", help: "shared folder for run folders (checkpoints, metrics, TensorBoard); every worker should see the same", metavar: "DIR", default: "./extrapos-worker-runs, not shared" },
  threads: { type: "int", help: "engine threads per cell (the numbers do not depend on it)", metavar: "N", default: "the study's --threads" },
  concurrency: { type: "int", help: "cells run at once, each in its own process (memory: see README)", metavar: "N", default: "1" },
  "checkpoint-every": { type: "int", help: "training steps between checkpoints (what a killed worker loses)", metavar: "S", default: "the trainer's, 200" },
  "lock-ms": { type: "int", help: "BullMQ lock duration: a dead worker's cell is retried after it", metavar: "MS", default: "30000" },
  "stalled-ms": { type: "int", help: "BullMQ stalled-job check interval", metavar: "MS", default: "30000" },
};

function bounded(v: number | undefined, flag: string, lo: number, hi: number): number | undefined {
  if (v !== undefined && (!Number.isInteger(v) || v < lo || v > hi)) throw new ExtraposError("invalid_argument", `--${flag} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

export async function runWorker(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`Usage: extrapos worker --queue URL [options]\n${formatOptions(WORKER_OPTIONS)}\n`);
    return 0;
  }
  const a = parseArgs(argv, WORKER_OPTIONS);
  if (a.positionals.length > 0) throw new ExtraposError("invalid_argument", `unexpected argument ${JSON.stringify(a.positionals[0])}`);
  const url = getString(a, "queue");
  if (url === undefined) throw new ExtraposError("invalid_argument", "--queue is required", "extrapos worker --queue redis://host:6379 [--artifacts /shared/dir]");
  const target = parseRedisUrl(url);
  const threads = bounded(getNumber(a, "threads"), "threads", 1, 256) ?? null;
  const concurrency = bounded(getNumber(a, "concurrency"), "concurrency", 1, Math.max(1, availableParallelism() * 4)) ?? 1;
  const checkpointEvery = bounded(getNumber(a, "checkpoint-every"), "checkpoint-every", 1, 1e9);
  const lockMs = bounded(getNumber(a, "lock-ms"), "lock-ms", 200, 3_600_000);
  const stalledMs = bounded(getNumber(a, "stalled-ms"), "stalled-ms", 100, 3_600_000);
  const given = getString(a, "artifacts");
  const artifacts = resolve(given ?? "extrapos-worker-runs");
  await checkRedis(target);
  const w = await startWorker({
    target, artifacts, shared: given !== undefined, threads, concurrency,
    ...(checkpointEvery !== undefined ? { checkpointEvery } : {}), ...(lockMs !== undefined ? { lockMs } : {}), ...(stalledMs !== undefined ? { stalledMs } : {}),
  });
  process.stderr.write(`extrapos worker: pid ${process.pid}, queue ${QUEUE_NAME} on ${target.display}; ${concurrency} cell(s) at a time, ${threads ?? "the study's"} thread(s) each; run folders in ${artifacts}${given === undefined ? " (this machine only)" : ""}\n`);
  return await new Promise<number>((done) => {
    const stop = (signal: string) => {
      process.stderr.write(`extrapos worker: ${signal}; stopping (a cell in progress is retried by another worker once its lock expires)\n`);
      w.close(true).finally(() => done(130));
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

export const workerCommand: Command = {
  summary: SUMMARIES.worker,
  run: (argv) => runWorker(argv),
};
