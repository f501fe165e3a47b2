/**
 * The task suite's real runner: `trainRun` with `training.task` (lengths from a range) and
 * `evaluateTaskRun` with per-example scores. Tests of the orchestration use a synthetic runner instead.
 *
 * {@link directTaskRunner} runs on the calling thread; {@link realTaskRunner} runs each training and
 * each evaluation on its own worker thread (task-suite-worker.ts), so that the suite's `jobs` concurrent
 * jobs use as many cores (the engine computes on its calling thread). Both give the same numbers.
 *
 * Example: `await runTaskSuite({ ..., runner: realTaskRunner() })`
 */
import { Worker } from "node:worker_threads";
import { ExtraposError, type ErrorCode } from "../pe/errors.js";
import { readTrainingCurve } from "./runner-real.js";
import type { TaskRunner } from "./task-suite.js";
import type { TrainProgress } from "./runner.js";
import { trainRun } from "../train/index.js";
import { evaluateTaskRun } from "../eval/index.js";

type TrainReq = Parameters<TaskRunner["train"]>[0];
type EvalReq = Parameters<TaskRunner["evaluate"]>[0];
/** A job of the worker thread (the training request without its callback). */
export type TaskJob = { kind: "train"; req: Omit<TrainReq, "onProgress"> } | { kind: "evaluate"; req: EvalReq };

export function directTaskRunner(): TaskRunner {
  return {
    async train(req) {
      const s = await trainRun({
        out: req.runDir, model: { ...req.modelJson, context_length: req.seqLen },
        training: {
          ...req.training, task: req.task, task_min_length: req.minLength, steps: req.steps, batch: req.batch, lr: req.lr, seed: req.seed, threads: req.threads,
          eval_every: Math.max(1, Math.floor(req.steps / 4)),
          // one checkpoint, at the end: the suite does not resume a training (it reruns it), and a checkpoint
          // every 200 steps wrote ≈ 2 GB over the 36 trainings
          checkpoint_every: req.steps,
        },
        progress: false, onProgress: (p) => req.onProgress({ step: p.step, loss: p.loss, tokensPerSecond: p.tokensPerSecond }),
      });
      return { steps: s.steps, finalTrainLoss: s.finalTrainLoss, finalValidLoss: s.finalValidLoss, wallSeconds: s.wallSeconds, tokensPerSecond: s.tokensPerSecond, curve: readTrainingCurve(s.runDir) };
    },
    async evaluate(req) {
      const r = await evaluateTaskRun(req.runDir, { task: req.task, lengths: req.lengths, trials: req.trials, seed: req.seed, threads: req.threads, examples: true });
      return { exact: r.example_exact!, perToken: r.example_token_accuracy!, positions: r.positions };
    },
  };
}

const WORKER_URL = new URL("./task-suite-worker.js", import.meta.url);

type WorkerMessage = { type: "progress"; progress: TrainProgress } | { type: "result"; result: unknown } | { type: "error"; message: string; code: ErrorCode | null };

function inWorker<R>(job: TaskJob, onProgress?: (p: TrainProgress) => void): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const w = new Worker(WORKER_URL, { workerData: job });
    let settled = false;
    const settle = (f: () => void) => { if (!settled) { settled = true; f(); void w.terminate(); } };
    w.on("message", (m: WorkerMessage) => {
      if (m.type === "progress") onProgress?.(m.progress);
      else if (m.type === "result") settle(() => resolve(m.result as R));
      else settle(() => reject(new ExtraposError(m.code ?? "internal", m.message)));
    });
    w.on("error", (err) => settle(() => reject(err)));
    w.on("exit", (code) => settle(() => reject(new ExtraposError("thread_crash", `the task suite's worker thread exited (code ${code}) before answering`))));
  });
}

/** The suite's runner: each training and evaluation on its own worker thread. */
export function realTaskRunner(): TaskRunner {
  return {
    train(req) {
      const { onProgress, ...rest } = req;
      return inWorker({ kind: "train", req: rest }, onProgress);
    },
    evaluate(req) {
      return inWorker({ kind: "evaluate", req });
    },
  };
}
