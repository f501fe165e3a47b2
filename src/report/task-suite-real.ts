/**
 * The task suite's real runner: `trainRun` with `training.task` (lengths from a range) and
 * `evaluateTaskRun` with per-example scores. Tests use a synthetic runner instead.
 *
 * Example: `await runTaskSuite({ ..., runner: realTaskRunner() })`
 */
import { readTrainingCurve } from "./runner-real.js";
import type { TaskRunner } from "./task-suite.js";
import { trainRun } from "../train/index.js";
import { evaluateTaskRun } from "../eval/index.js";

export function realTaskRunner(): TaskRunner {
  return {
    async train(req) {
      const s = await trainRun({
        out: req.runDir, model: { ...req.modelJson, context_length: req.seqLen },
        training: { task: req.task, task_min_length: req.minLength, steps: req.steps, batch: req.batch, lr: req.lr, seed: req.seed, threads: req.threads, eval_every: Math.max(1, Math.floor(req.steps / 4)) },
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
