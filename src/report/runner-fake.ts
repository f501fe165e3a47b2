/**
 * TEST-ONLY: a synthetic Runner that trains nothing. It writes what a real run folder holds for the report
 * (config.json, metrics.jsonl, a TensorBoard event file; no model.safetensors) and returns made-up numbers
 * shaped like the field's curves (perplexity flat beyond L for ALiBi-like methods, rising for absolute
 * ones), so that the orchestration, resume, report and figures can be tested without the engine.
 * Never used by the `extrapos bench` command.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic-write.js";
import { MetricsWriter } from "../train/log/metrics.js";
import { TensorBoardWriter } from "../train/log/tfevents.js";
import { ExtraposError } from "../pe/errors.js";
import type { EvalOutcome, EvalRequest, Runner, TrainOutcome, TrainRequest } from "./runner.js";

/** Synthetic perplexity growth per doubling of the length beyond L (1 = extrapolates perfectly). */
const GROWTH: Record<string, number> = {
  sinusoidal: 2.5, learned: 2.2, adaptive: 1.6, rope: 1.8, xpos: 1.5, nope: 1.4, "randomized-rope": 1.1, alibi: 0.99, t5: 1.05, kerple: 1.0, fire: 1.02, lstm: 1.0,
};

export interface FakeRunnerOptions {
  /** Methods whose training throws. */
  failTrain?: string[];
  /** Methods whose evaluation throws. */
  failEval?: string[];
  /** Stop this method's training after `step` steps (as a Ctrl-C'd trainer returns early). */
  interrupt?: { method: string; step: number };
}

export interface FakeCall {
  kind: "train" | "evaluate";
  runDir: string;
  method?: string;
  ropeScaling?: Record<string, unknown> | null;
  lengths?: number[];
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h / 2 ** 32;
}

function methodOfRunDir(runDir: string): string {
  return runDir.split(/[\\/]/).at(-1)!.replace(/-s\d+$/, "");
}

export class FakeRunner implements Runner {
  readonly calls: FakeCall[] = [];
  constructor(private readonly opts: FakeRunnerOptions = {}) {}

  async train(req: TrainRequest): Promise<TrainOutcome> {
    this.calls.push({ kind: "train", runDir: req.runDir, method: req.method });
    if (this.opts.failTrain?.includes(req.method)) throw new ExtraposError("internal", `synthetic training failure of ${req.method}`);
    writeFileAtomic(join(req.runDir, "config.json"), JSON.stringify({ model: req.modelJson, steps: req.steps }) + "\n");
    const metrics = new MetricsWriter(join(req.runDir, "metrics.jsonl"));
    const tb = new TensorBoardWriter(req.runDir, { now: () => 1_700_000_000, hostname: "fake" });
    const stopAt = this.opts.interrupt?.method === req.method ? this.opts.interrupt.step : req.steps;
    const curve = { step: [] as number[], trainLoss: [] as number[], validLoss: [] as number[] };
    const floor = req.method === "lstm" ? 1.6 : 1.3 + 0.05 * hash(req.method);
    const every = Math.max(1, Math.floor(req.steps / 10));
    for (let step = 1; step <= stopAt; step++) {
      const trainLoss = floor + 4 * Math.exp(-step / (req.steps / 4)) + 0.02 * (hash(`${req.method}${req.seed}${step}`) - 0.5);
      req.onProgress({ step, loss: trainLoss, tokensPerSecond: 20000 });
      if (step % every === 0 || step === req.steps) {
        const validLoss = trainLoss + 0.05;
        metrics.append({ step, train_loss: trainLoss, valid_loss: validLoss });
        tb.scalars(step, { "train/loss": trainLoss, "valid/loss": validLoss });
        curve.step.push(step); curve.trainLoss.push(trainLoss); curve.validLoss.push(validLoss);
      }
    }
    metrics.close();
    tb.close();
    return { steps: stopAt, finalTrainLoss: curve.trainLoss.at(-1) ?? NaN, finalValidLoss: curve.validLoss.at(-1) ?? NaN, wallSeconds: 0.01, tokensPerSecond: 20000, curve };
  }

  async evaluate(req: EvalRequest): Promise<EvalOutcome> {
    const method = methodOfRunDir(req.runDir);
    this.calls.push({ kind: "evaluate", runDir: req.runDir, ropeScaling: req.ropeScaling, lengths: req.lengths });
    if (this.opts.failEval?.includes(method)) throw new ExtraposError("internal", `synthetic evaluation failure of ${method}`);
    const seedNoise = 1 + 0.03 * (hash(`${req.runDir}`) - 0.5);
    const L = 64;
    const factor = typeof req.ropeScaling?.factor === "number" ? req.ropeScaling.factor : 1;
    const growth = (GROWTH[method] ?? 1.2) ** (factor > 1 ? 0.3 : 1); // a scaled rope recovers most of its loss
    const base = (method === "lstm" ? 5 : 4) * seedNoise;
    const ppl = req.lengths.map((n) => base * growth ** Math.max(0, Math.log2(n / L)));
    const maxLen = req.lossPerPositionLength;
    const digits = req.lengths.map((n) => Math.min(1, Math.max(0.1, 1.1 - 0.15 * Math.log2(n / L) * Math.log2(growth * 2))));
    return {
      lengths: req.lengths, ppl, loss: ppl.map(Math.log), tokens: req.lengths.map((n) => Math.min(req.maxTokensPerLength, 40 * n)),
      passkeyAcc: req.lengths.map((n) => Math.min(1, Math.max(0, 1.2 - 0.1 * Math.log2(n / L) * Math.log2(growth * 2)))),
      passkeyTokenAcc: digits,
      // per trial: the mean digits ± a trial effect shared by every method (the same trials) and a little of the run's own, in fifths
      passkeyTrialAcc: digits.map((d, i) => Array.from({ length: req.passkeyTrials }, (_, t) => Math.round(5 * Math.min(1, Math.max(0, d + 0.3 * (hash(`t${req.lengths[i]}:${t}`) - 0.5) + 0.1 * (hash(`${req.runDir}:t${t}`) - 0.5)))) / 5)),
      lossPerPosition: maxLen === null ? null : { length: maxLen, loss: Array.from({ length: maxLen }, (_, p) => Math.log(base) + Math.log(growth) * Math.max(0, Math.log2((p + 1) / L))) },
      // 8 windows per length around the mean loss (the same window index is the same text for every method)
      windowLoss: ppl.map((v, i) => Array.from({ length: 8 }, (_, w) => Math.log(v) + 0.2 * (hash(`w${req.lengths[i]}:${w}`) - 0.5) + 0.01 * (hash(`${req.runDir}:${w}`) - 0.5))),
      wallSeconds: 0.01,
    };
  }
}
