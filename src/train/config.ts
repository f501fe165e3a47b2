/**
 * The training configuration: one typed object with visible defaults, validated once at the boundary
 * (CLI flags, `config.json` of a run, the programmatic `trainRun`). Code form is camelCase; the file
 * form in `config.json` is snake_case (`grad_accum`, `eval_every`), like the model config.
 *
 * Derived values (`null` in the defaults) are resolved when parsing, so `config.json` holds every
 * value explicitly: `min_lr: null` → lr / 10; `warmup: null` → min(100, ⌊steps / 10⌋).
 *
 * Data: text (the default) or, with `task` ("copy", "reverse", "associative-recall", "passkey"), a
 * synthetic task whose examples are generated on the fly (src/data/tasks/, docs/training.md).
 *
 * Seeds: one `seed` K drives everything, split into independent streams: parameter initialisation
 * uses K, the training-window sampler (or the task's example generator) K + 1, randomized position
 * ids (when the encoding has `randomized`) K + 2, the task's fixed validation examples K + 3, the keys
 * and depths of the passkey mix (`passkey_mix`, ordered by distance with `passkey_curriculum`) K + 4. Same
 * seed, data and config → the same run, bit for bit, on the same thread count.
 *
 * Example:
 *   const t = parseTrainingConfig({ steps: 200, lr: 3e-4 });
 *   t.warmup === 20; t.minLr === 3e-5; trainingConfigToJson(t).grad_accum === 1
 */
import { ExtraposError, invalid, show } from "../pe/errors.js";
import { TASKS, type TaskName } from "../data/tasks/index.js";

export interface TrainingConfig {
  /** Windows per micro-batch B, e.g. 16. */
  batch: number;
  /** Optimizer steps S, e.g. 1000. */
  steps: number;
  /** Peak learning rate, e.g. 1e-3. */
  lr: number;
  /** Floor of the cosine schedule, reached at the last step, e.g. 1e-4. */
  minLr: number;
  /** Linear warmup steps, e.g. 100. */
  warmup: number;
  /** Micro-batches per optimizer step (gradient accumulation), e.g. 1. */
  gradAccum: number;
  /** Global gradient-norm clip (clip_grad_norm_); 0 = no clipping. */
  clip: number;
  /** Validation every N steps (and at the last step), e.g. 100. */
  evalEvery: number;
  /** Maximum validation windows of length T (evenly spaced over the valid split), e.g. 32. */
  evalWindows: number;
  /** Checkpoint every N steps (and at the last step and on Ctrl-C), e.g. 200. */
  checkpointEvery: number;
  /** One metrics line every N steps (plus every eval step and the last step), e.g. 10. */
  logEvery: number;
  /** The run's seed K (see the file header), e.g. 1234. */
  seed: number;
  /** Worker threads of the engine; null = the engine's default. Part of the run (kept on resume); the numbers do not depend on it. */
  threads: number | null;
  /** Train on this synthetic task instead of text (validation: `evalWindows` fixed examples); null = text. */
  task: TaskName | null;
  /** Steps with a non-finite loss or gradient norm skipped (no update) before the run stops; 0 = stop at the first. */
  skipNonfinite: number;
  /** With a task: the shortest training example (lengths drawn uniformly from [this, T] per example); null = all of length T. */
  taskMinLength: number | null;
  /** Text only: fraction of each batch's rows rewritten as passkey rows (src/data/passkey-mix.ts), e.g. 0.25; 0 = plain text. */
  passkeyMix: number;
  /** A run folder whose model.safetensors initialises the parameters of a new run (fine-tuning; same model config); null = random init. */
  initFrom: string | null;
  /** Distance curriculum of the passkey rows: the fraction of `steps` over which the key moves from next to the question to anywhere (src/data/passkey-mix.ts); 0 = none. */
  passkeyCurriculum: number;
}

/** Defaults in file form; `null` marks a derived value (see the header). */
export const DEFAULT_TRAINING_JSON = {
  batch: 16,
  steps: 1000,
  lr: 1e-3,
  min_lr: null,
  warmup: null,
  grad_accum: 1,
  clip: 1.0,
  eval_every: 100,
  eval_windows: 32,
  checkpoint_every: 200,
  log_every: 10,
  seed: 1234,
  threads: null,
  task: null,
  skip_nonfinite: 0,
  task_min_length: null,
  passkey_mix: 0,
  init_from: null,
  passkey_curriculum: 0,
} as const;

type Obj = Record<string, unknown>;
const KEYS = Object.keys(DEFAULT_TRAINING_JSON);

function int(o: Obj, key: string, min: number): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    const range = typeof v === "number" && Number.isInteger(v) && v >= min ? `in [${min}, 2^53 − 1]` : `≥ ${min}`;
    throw new ExtraposError("invalid_config", `\`training.${key}\` must be an integer ${range}, got ${show(v)}`, undefined, `training.${key}`);
  }
  return v;
}

function num(o: Obj, key: string, min: number, strict: boolean): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || (strict && v === min)) {
    throw new ExtraposError("invalid_config", `\`training.${key}\` must be a finite number ${strict ? ">" : "≥"} ${min}, got ${show(v)}`, undefined, `training.${key}`);
  }
  return v;
}

function taskName(v: unknown): TaskName | null {
  if (v === null) return null;
  if (typeof v !== "string" || !Object.prototype.hasOwnProperty.call(TASKS, v)) {
    throw new ExtraposError("invalid_config", `\`training.task\` must be one of ${Object.keys(TASKS).join(", ")} or null (text), got ${show(v)}`);
  }
  return v as TaskName;
}

/**
 * Validates a training config in file form (snake_case; missing keys take the defaults; unknown keys
 * refused) and resolves the derived values.
 *
 * Example: `parseTrainingConfig({ batch: 8, steps: 50 }).warmup` → 5
 */
export function parseTrainingConfig(x: unknown): TrainingConfig {
  if (typeof x !== "object" || x === null || Array.isArray(x)) throw invalid(`the training config must be an object, got ${show(x)}`);
  for (const k of Object.keys(x)) {
    if (!KEYS.includes(k)) throw new ExtraposError("invalid_config", `unknown key \`training.${k}\``, `allowed keys: ${KEYS.join(", ")}`);
  }
  const o: Obj = { ...DEFAULT_TRAINING_JSON, ...(x as Obj) };
  const steps = int(o, "steps", 1);
  const lr = num(o, "lr", 0, true);
  const minLr = o.min_lr === null ? lr / 10 : num(o, "min_lr", 0, false);
  if (minLr > lr) throw new ExtraposError("invalid_config", `\`training.min_lr\` must be ≤ \`training.lr\` = ${lr}, got ${minLr}`);
  const warmup = o.warmup === null ? Math.min(100, Math.floor(steps / 10)) : int(o, "warmup", 0);
  if (warmup > steps) throw new ExtraposError("invalid_config", `\`training.warmup\` must be ≤ \`training.steps\` = ${steps}, got ${warmup}`);
  return {
    batch: int(o, "batch", 1),
    steps,
    lr,
    minLr,
    warmup,
    gradAccum: int(o, "grad_accum", 1),
    clip: num(o, "clip", 0, false),
    evalEvery: int(o, "eval_every", 1),
    evalWindows: int(o, "eval_windows", 1),
    checkpointEvery: int(o, "checkpoint_every", 1),
    logEvery: int(o, "log_every", 1),
    seed: int(o, "seed", 0),
    threads: o.threads === null ? null : int(o, "threads", 1),
    task: taskName(o.task),
    skipNonfinite: int(o, "skip_nonfinite", 0),
    taskMinLength: taskMinLength(o),
    passkeyMix: passkeyMix(o),
    initFrom: initFrom(o.init_from),
    passkeyCurriculum: passkeyCurriculum(o),
  };
}

function initFrom(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "string" || v.length === 0) throw new ExtraposError("invalid_config", `\`training.init_from\` must be a run folder (a non-empty path) or null, got ${show(v)}`, undefined, "training.init_from");
  return v;
}

function passkeyMix(o: Obj): number {
  const v = o.passkey_mix;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new ExtraposError("invalid_config", `\`training.passkey_mix\` must be a fraction in [0, 1] (of each batch's rows), got ${show(v)}`, undefined, "training.passkey_mix");
  }
  if (v > 0 && o.task !== null && o.task !== undefined) throw new ExtraposError("invalid_config", `\`training.passkey_mix\` mixes passkey rows into text training; it does not apply to task training (\`training.task\` = ${show(o.task)})`);
  return v;
}

function passkeyCurriculum(o: Obj): number {
  const v = o.passkey_curriculum;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new ExtraposError("invalid_config", `\`training.passkey_curriculum\` must be a fraction in [0, 1] (of the steps), got ${show(v)}`, undefined, "training.passkey_curriculum");
  }
  if (v > 0 && o.passkey_mix === 0) throw new ExtraposError("invalid_config", `\`training.passkey_curriculum\` orders the passkey rows by distance; it needs \`training.passkey_mix\` > 0, got ${show(v)} without passkey rows`, "set training.passkey_mix, or drop passkey_curriculum", "training.passkey_curriculum");
  return v;
}

function taskMinLength(o: Obj): number | null {
  if (o.task_min_length === null || o.task_min_length === undefined) return null;
  const v = int(o, "task_min_length", 1);
  if (o.task === null || o.task === undefined) throw new ExtraposError("invalid_config", `\`training.task_min_length\` applies to task training (\`training.task\`), got ${v} with text`);
  return v;
}

/** The file form (snake_case) of a parsed training config, as stored in `config.json`. */
export function trainingConfigToJson(t: TrainingConfig): Obj {
  return {
    batch: t.batch, steps: t.steps, lr: t.lr, min_lr: t.minLr, warmup: t.warmup, grad_accum: t.gradAccum, clip: t.clip,
    eval_every: t.evalEvery, eval_windows: t.evalWindows, checkpoint_every: t.checkpointEvery, log_every: t.logEvery,
    seed: t.seed, threads: t.threads, task: t.task, ...(t.taskMinLength !== null ? { task_min_length: t.taskMinLength } : {}),
    ...(t.skipNonfinite !== 0 ? { skip_nonfinite: t.skipNonfinite } : {}), // absent = 0 (runs from before it existed compare equal)
    ...(t.passkeyMix !== 0 ? { passkey_mix: t.passkeyMix } : {}), // likewise
    ...(t.initFrom !== null ? { init_from: t.initFrom } : {}), // likewise
    ...(t.passkeyCurriculum !== 0 ? { passkey_curriculum: t.passkeyCurriculum } : {}), // likewise
  };
}

/** Seeds of the independent random streams of a run (see the file header). */
export function runSeeds(t: TrainingConfig): { init: number; data: number; positions: number; taskValidation: number; passkeyMix: number } {
  return { init: t.seed, data: t.seed + 1, positions: t.seed + 2, taskValidation: t.seed + 3, passkeyMix: t.seed + 4 };
}
