/**
 * The child process a worker forks for each cell (`node dist/queue/child.js`): training is CPU-bound,
 * and on the worker's own event loop it would starve BullMQ's lock renewal (the job would be declared
 * stalled while still running). The child receives one message, runs the cell, answers through IPC:
 *
 *   parent → child  { payload, artifacts, threads, checkpointEvery }
 *   child → parent  { type: "progress", progress } … then { type: "result", outcome, provenance } or { type: "error", message }
 *
 * The payload is checked again here (parsePayload) before anything runs. When the worker dies (kill -9)
 * the child dies within ~0.1 s, whatever its event loop is doing: a watchdog thread sees its parent pid
 * change (parent-watch.ts); a closed IPC channel also ends it. So the job's next attempt, on any worker,
 * is alone in the cell's folder, and finds only complete files there (every write is atomic).
 */
import { hostname } from "node:os";
import { engineInfo } from "../engine/wasm.js";
import { collectEnvironment } from "../report/environment.js";
import { parsePayload } from "./cells.js";
import { runCell, type CellOutcome, type CellProgress } from "./cell-run.js";
import { PARENT_PID_ENV, watchParent } from "./parent-watch.js";

export interface ChildRequest {
  payload: unknown;
  artifacts: string;
  threads: number | null;
  checkpointEvery?: number;
}

export interface Provenance {
  host: string;
  pid: number;
  started: string;
  finished: string;
  /** Kernel build (the FMA build rounds differently: cells compared number for number need the same). */
  engine: { fma: boolean; reason?: string };
  versions: Record<string, string>;
  cpu: string;
}

export type ChildMessage =
  | { type: "progress"; progress: CellProgress }
  | { type: "result"; outcome: CellOutcome; provenance: Provenance }
  | { type: "error"; message: string; code: string | null };

function send(m: ChildMessage): void {
  process.send?.(m);
}

/** Sends the last message, then exits (engine threads would otherwise keep the process alive). */
function finish(m: ChildMessage): void {
  process.removeAllListeners("disconnect");
  process.send!(m, undefined, {}, () => process.exit(0));
}

function main(): void {
  if (!process.send) {
    process.stderr.write("extrapos: dist/queue/child.js is started by `extrapos worker`, not by hand\n");
    process.exitCode = 2;
    return;
  }
  watchParent(Number(process.env[PARENT_PID_ENV])); // the worker is killed outright: die with it (parent-watch.ts)
  process.on("disconnect", () => process.exit(3)); // the worker is gone: stop writing into the cell's folder
  process.once("message", (req: ChildRequest) => {
    const started = new Date().toISOString();
    let last = 0;
    void (async () => {
      const parsed = parsePayload(req.payload);
      const outcome = await runCell(parsed, {
        artifacts: req.artifacts, threads: req.threads, ...(req.checkpointEvery !== undefined ? { checkpointEvery: req.checkpointEvery } : {}),
        onProgress: (progress) => {
          const now = performance.now();
          if (progress.phase === "train" && now - last < 200 && progress.step !== progress.steps) return;
          last = now;
          send({ type: "progress", progress });
        },
      });
      const env = collectEnvironment();
      const provenance: Provenance = {
        host: hostname(), pid: process.pid, started, finished: new Date().toISOString(), engine: engineInfo(),
        versions: env.versions as Record<string, string>, cpu: String(env.machine.cpu),
      };
      finish({ type: "result", outcome, provenance });
    })().catch((e: unknown) => {
      const err = e as { message?: string; code?: unknown };
      finish({ type: "error", message: String(err?.message ?? e).replace(/\s*\n\s*/g, " "), code: typeof err?.code === "string" ? err.code : null });
    });
  });
}

main();
