/**
 * `trainRun`: the programmatic entry point (used by `extrapos train` and the experiment). It resolves
 * the configs (file form, defaults, resume), loads and tokenizes the data (or takes it ready-made),
 * checks memory before anything is allocated or written, prints the resolved config, and trains.
 * With `training.task` the data is a synthetic task instead (examples generated on the fly; giving
 * `data`, `corpus` or `tokens` as well is refused); a resume takes the task from the run's config.
 *
 * Example:
 *   const s = await trainRun({ out: "runs/alibi", model: { pe: "alibi", context_length: 64 }, training: { steps: 300 } });
 *   s.finalValidLoss
 *   await trainRun({ out: "runs/copy", model: { context_length: 32 }, training: { task: "copy", steps: 300 } });
 */
import { ExtraposError, show } from "../pe/errors.js";
import { refuseBusyFolder } from "../data/folder-lock.js";
import { DEFAULT_MODEL_JSON, modelConfigToJson, parseModelConfig, type ModelConfig } from "../model/config.js";
import { paramCount, paramTable } from "../model/params.js";
import { loadCorpus, type CorpusSpec } from "../data/corpus.js";
import type { CorpusSplits } from "../data/splits.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { TASKS, type TaskName } from "../data/tasks/index.js";
import { parseTrainingConfig, trainingConfigToJson, type TrainingConfig } from "./config.js";
import { checkMemory, estimateTrainBytes, formatBytes, WASM_MEMORY_LIMIT_BYTES } from "./memory.js";
import { defaultModelFactory, type ModelFactory } from "./model-factory.js";
import { checkResumeConfig, readRunConfig, refuseExistingRun } from "./run-dir.js";
import type { ProgressStream } from "./log/progress.js";
import { checkData, train, type TrainData, type TrainProgress, type TrainSummary } from "./trainer.js";

export interface TrainRunOptions {
  /** Run directory (refused when it already holds a run, unless `resume`). */
  out: string;
  /** Model config in file form (snake_case, as in config.json), over the defaults (or the stored run when resuming). */
  model?: Record<string, unknown>;
  /** Training config in file form (snake_case, e.g. {steps: 300, grad_accum: 2}), over the defaults (or the stored run). */
  training?: Record<string, unknown>;
  /** Corpus to load (default: the Brown corpus; when resuming: the run's own). */
  data?: CorpusSpec;
  /** Already-loaded text splits (skips loading; tokenized with the model's tokenizer). With `data` too,
   *  `data` is recorded as where they came from, so `extrapos eval` and `--resume` can load them again. */
  corpus?: CorpusSplits & { description?: string };
  /** Already-tokenized splits (skips loading and tokenizing; must match the model's tokenizer). */
  tokens?: { train: Int32Array; valid: Int32Array; description?: string };
  /** Continue the run in `out`. */
  resume?: boolean;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  /** Progress and the start-up summary go here (default stderr); false = silent. */
  progress?: ProgressStream | false;
  label?: string;
  /** Model factory (default: src/model/factory.ts). */
  createModel?: ModelFactory;
  /** Memory limit for the estimate (default: 4 GiB, the WebAssembly address space). */
  maxMemoryBytes?: number;
}

/** Model and training config of a new run or a resume (stored ⊕ overrides). */
export function resolveRunConfigs(opts: Pick<TrainRunOptions, "out" | "model" | "training" | "resume">): { model: ModelConfig; training: TrainingConfig; storedSpec?: Record<string, unknown> | null } {
  if (opts.resume) {
    const stored = readRunConfig(opts.out);
    try {
      return {
        model: parseModelConfig(opts.model ?? {}, modelConfigToJson(stored.model)),
        training: parseTrainingConfig({ ...trainingConfigToJson(stored.training), ...(opts.training ?? {}) }),
        storedSpec: stored.data.spec,
      };
    } catch (e) {
      // overrides that do not fit the run's other settings (e.g. more heads than its rotary_dim allows): name the
      // setting that differs from the run, not the consequence
      if (e instanceof ExtraposError) checkResumeConfig(opts.out, { overrides: { ...(opts.model ? { model: opts.model } : {}), ...(opts.training ? { training: opts.training } : {}) } }, stored);
      throw e;
    }
  }
  return { model: parseModelConfig(opts.model ?? {}, DEFAULT_MODEL_JSON), training: parseTrainingConfig(opts.training ?? {}) };
}

async function resolveData(opts: TrainRunOptions, model: ModelConfig, storedSpec: Record<string, unknown> | null | undefined): Promise<TrainData> {
  if (opts.tokens) {
    for (const [k, t] of Object.entries({ train: opts.tokens.train, valid: opts.tokens.valid })) {
      for (let i = 0; i < t.length; i++) {
        if (t[i]! < 0 || t[i]! >= model.vocabSize) throw new ExtraposError("invalid_argument", `${k} token ${i} is ${t[i]}, outside the vocabulary [0, ${model.vocabSize})`);
      }
    }
    return { kind: "text", train: opts.tokens.train, valid: opts.tokens.valid, spec: null, description: opts.tokens.description ?? "tokens passed in", tokenizer: await loadTokenizer(model.tokenizer) };
  }
  let spec: CorpusSpec | null = null;
  let splits: CorpusSplits & { description?: string };
  if (opts.corpus) {
    splits = opts.corpus;
    spec = opts.data ?? null;
  } else {
    if (opts.data) spec = opts.data;
    else if (opts.resume && storedSpec !== undefined) {
      if (storedSpec === null) throw new ExtraposError("invalid_argument", `the run in ${show(opts.out)} was trained on data passed in directly; pass the same data to resume it`);
      spec = storedSpec as unknown as CorpusSpec;
    } else spec = { kind: "brown" };
    splits = loadCorpus(spec);
  }
  const tok = await loadTokenizer(model.tokenizer);
  return {
    kind: "text", train: tok.encode(splits.train), valid: tok.encode(splits.valid),
    spec: spec as unknown as Record<string, unknown> | null, description: splits.description ?? "text passed in", tokenizer: tok,
  };
}

/** The data of a task run; refuses text given alongside (a task generates its own examples). */
async function resolveTaskData(opts: TrainRunOptions, model: ModelConfig, task: TaskName): Promise<TrainData> {
  const given = (["data", "corpus", "tokens"] as const).find((k) => opts[k] !== undefined);
  if (given !== undefined) {
    throw new ExtraposError("invalid_argument", `\`training.task\` (${task}) and \`${given}\` are mutually exclusive: a task generates its own examples`, "give either a task or text");
  }
  return { kind: "task", task, tokenizer: await loadTokenizer(model.tokenizer), description: `synthetic task ${task}: ${TASKS[task].summary}` };
}

/** The start-up summary: resolved config table, parameter count, memory estimate. */
export function describeRun(model: ModelConfig, training: TrainingConfig, data: TrainData, memoryBytes: number): string {
  const rows: [string, unknown][] = [
    ...Object.entries(modelConfigToJson(model)).map(([k, v]) => [`model.${k}`, v] as [string, unknown]),
    ...Object.entries(trainingConfigToJson(training)).map(([k, v]) => [`training.${k}`, v] as [string, unknown]),
    ["data", data.description],
    data.kind === "text"
      ? ["data.tokens", `train ${data.train.length}, valid ${data.valid.length}`]
      : ["data.examples", `${training.batch} × ${model.contextLength} tokens per micro-batch, generated; validation ${training.evalWindows} fixed examples`],
    ["parameters", paramCount(paramTable(model)).toLocaleString("en-US")],
    ["memory (estimate)", formatBytes(memoryBytes)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n") + "\n";
}

/**
 * Trains a new run in `opts.out`, or resumes it (`resume: true`); see the file header.
 * Throws `ExtraposError` on bad input before anything is written, `TrainingInterrupted` after the
 * checkpoint when `signal` aborts.
 */
export async function trainRun(opts: TrainRunOptions): Promise<TrainSummary> {
  refuseBusyFolder(opts.out); // "in use by pid N" before any other refusal
  const { model, training, storedSpec } = resolveRunConfigs(opts);
  // Cheap refusals first (before data is loaded or a model allocated); train() checks the data fingerprint.
  if (opts.resume) checkResumeConfig(opts.out, { model, training });
  else refuseExistingRun(opts.out);
  const memory = estimateTrainBytes(model, training.batch, model.contextLength);
  checkMemory(memory, `training with batch ${training.batch} × seq_len ${model.contextLength}`, opts.maxMemoryBytes ?? WASM_MEMORY_LIMIT_BYTES, "lower --batch or --seq-len (and use --grad-accum)");
  const data = training.task !== null ? await resolveTaskData(opts, model, training.task) : await resolveData(opts, model, storedSpec);
  checkData(data, model.contextLength);
  const createModel = opts.createModel ?? (await defaultModelFactory());
  if (opts.progress !== false) (opts.progress ?? process.stderr).write(`extrapos train → ${opts.out}${opts.resume ? " (resume)" : ""}\n${describeRun(model, training, data, memory)}`);
  return train(
    {
      runDir: opts.out, model, training, data, resume: opts.resume === true,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.progress !== undefined ? { progress: opts.progress } : {}), ...(opts.label ? { label: opts.label } : {}),
    },
    { createModel },
  );
}
