/**
 * The run directory: what `extrapos train --out DIR` writes and `--resume DIR` / `extrapos eval --run
 * DIR` read.
 *
 *   DIR/config.json               {format: "extrapos-run", format_version: "1", model: <model config,
 *                                 file form>, training: <training config, file form>, data: {spec,
 *                                 description, train_tokens, valid_tokens, fingerprint}, created}
 *   DIR/metrics.jsonl             one JSON object per logged step (see docs/training.md)
 *   DIR/events.out.tfevents.*     TensorBoard scalars
 *   DIR/model.safetensors         the latest checkpoint (a clean state dict + config + step)
 *   DIR/train_state.safetensors   everything else an exact resume needs (see below)
 *
 * Checkpoint order: `train_state.safetensors` is written first and holds a full copy of the
 * parameters ("param.<name>") next to the optimizer tensors ("optim.<name>") and the JSON state
 * (step, sampler, position RNG, elapsed time); then `model.safetensors`. Both are atomic (temp file +
 * rename), so after a kill -9 at any instant the train state is a complete checkpoint on its own,
 * and a resume that finds `model.safetensors` at another step rewrites it from the state.
 *
 * Example:
 *   refuseExistingRun("runs/a");            // throws when runs/a holds a run
 *   const cfg = readRunConfig("runs/a");    // { model, training, data, ... } validated
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic-write.js";
import { ExtraposError, show } from "../pe/errors.js";
import { modelConfigToJson, parseModelConfig, type ModelConfig } from "../model/config.js";
import { configDifference, loadCheckpoint, loadTrainState, saveCheckpoint, saveTrainState } from "../model/checkpoint.js";
import type { NamedTensor } from "../model/lm.js";
import type { TaskName } from "../data/tasks/index.js";
import { parseTrainingConfig, trainingConfigToJson, type TrainingConfig } from "./config.js";

export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  model: "model.safetensors",
  state: "train_state.safetensors",
} as const;

export const RUN_FORMAT = "extrapos-run";
export const RUN_FORMAT_VERSION = "1";

/** Where the training text came from, and a fingerprint of its tokens (checked on resume). */
export interface RunData {
  /** The corpus spec (`{kind: "brown"}` or `{kind: "text", data, valid?, test?}`), or null when tokens were passed in. */
  spec: Record<string, unknown> | null;
  description: string;
  trainTokens: number;
  validTokens: number;
  /** FNV-1a 32 of the train tokens then the valid tokens, 8 hex digits. */
  fingerprint: string;
}

export interface RunConfig {
  model: ModelConfig;
  training: TrainingConfig;
  data: RunData;
  created: string;
}

/**
 * FNV-1a 32 over the little-endian bytes of each token (int32), continuing from `seed`.
 *
 * Example: `tokenFingerprint([])` → "811c9dc5"
 */
export function tokenFingerprint(...arrays: ArrayLike<number>[]): string {
  let h = 0x811c9dc5;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i]! | 0;
      for (let k = 0; k < 4; k++) {
        h ^= (v >>> (8 * k)) & 0xff;
        h = Math.imul(h, 0x01000193) >>> 0;
      }
    }
  }
  return h.toString(16).padStart(8, "0");
}

/** True when DIR holds a checkpoint of a run (a folder with only config.json/metrics is an abandoned start). */
export function holdsRun(dir: string): boolean {
  return [RUN_FILES.model, RUN_FILES.state].some((f) => existsSync(join(dir, f)));
}

/**
 * Refuses an `--out` that is a file or already holds a run with a checkpoint (nothing is ever
 * overwritten). A folder whose run stopped before its first checkpoint is not a run: a new run may
 * take it (the caller holds the folder's lock and calls `clearAbandonedStart`).
 */
export function refuseExistingRun(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ExtraposError("io", `--out ${show(dir)} exists and is not a directory`);
  if (holdsRun(dir)) {
    const found = [RUN_FILES.model, RUN_FILES.state].find((f) => existsSync(join(dir, f)))!;
    throw new ExtraposError("invalid_argument", `--out ${show(dir)} already holds a run (${found}); refusing to overwrite it`, `continue it with --resume ${dir}, or choose another --out`);
  }
}

/** The files a run writes before its first checkpoint (config, metrics, TensorBoard events). */
function startFiles(dir: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n === RUN_FILES.config || n === RUN_FILES.metrics || n.startsWith("events.out.tfevents."));
}

/** Removes what a run that never checkpointed left in DIR (call with the folder's lock held, after `refuseExistingRun`). */
export function clearAbandonedStart(dir: string): void {
  if (holdsRun(dir)) return;
  for (const n of startFiles(dir)) rmSync(join(dir, n), { force: true });
}

/** After a new run failed before its first checkpoint: removes its files, and DIR when this run created it and it is empty. */
export function discardNewRun(dir: string, createdDir: boolean): void {
  try {
    clearAbandonedStart(dir);
    if (createdDir && readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // best effort: the original error is the one to report
  }
}

export function runConfigToJson(c: RunConfig): Record<string, unknown> {
  return {
    format: RUN_FORMAT,
    format_version: RUN_FORMAT_VERSION,
    model: modelConfigToJson(c.model),
    training: trainingConfigToJson(c.training),
    data: { spec: c.data.spec, description: c.data.description, train_tokens: c.data.trainTokens, valid_tokens: c.data.validTokens, fingerprint: c.data.fingerprint },
    created: c.created,
  };
}

export function writeRunConfig(dir: string, c: RunConfig): void {
  writeFileAtomic(join(dir, RUN_FILES.config), JSON.stringify(runConfigToJson(c), null, 2) + "\n");
}

function corrupt(path: string, m: string): ExtraposError {
  return new ExtraposError("corrupt_file", `${path}: ${m}`);
}

/** Reads and validates DIR/config.json. */
export function readRunConfig(dir: string): RunConfig {
  const path = join(dir, RUN_FILES.config);
  if (!existsSync(path)) throw new ExtraposError("io", `${show(dir)} is not an extrapos run: ${RUN_FILES.config} is missing`, "pass the --out directory of `extrapos train`");
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw corrupt(path, `not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof o !== "object" || o === null || o.format !== RUN_FORMAT) throw corrupt(path, `\`format\` must be "${RUN_FORMAT}", got ${show(o?.format)}`);
  if (o.format_version !== RUN_FORMAT_VERSION) throw corrupt(path, `\`format_version\` ${show(o.format_version)} is not "${RUN_FORMAT_VERSION}"`);
  const wrap = <T>(f: () => T, what: string): T => {
    try {
      return f();
    } catch (e) {
      throw corrupt(path, `\`${what}\`: ${(e as Error).message}`);
    }
  };
  const model = wrap(() => parseModelConfig(o.model, {}), "model");
  const training = wrap(() => parseTrainingConfig(o.training), "training");
  const d = o.data as Record<string, unknown> | undefined;
  if (typeof d !== "object" || d === null || typeof d.fingerprint !== "string" || typeof d.train_tokens !== "number" || typeof d.valid_tokens !== "number") {
    throw corrupt(path, "`data` must hold spec, description, train_tokens, valid_tokens and fingerprint");
  }
  const data: RunData = {
    spec: (d.spec ?? null) as Record<string, unknown> | null, description: String(d.description ?? ""),
    trainTokens: d.train_tokens, validTokens: d.valid_tokens, fingerprint: d.fingerprint,
  };
  return { model, training, data, created: String(o.created ?? "") };
}

/** The first difference between a run's stored config and the requested one, or null. */
export function runConfigDifference(stored: RunConfig, requested: { model: ModelConfig; training: TrainingConfig }): string | null {
  const m = configDifference(stored.model, requested.model);
  if (m !== null) return m.replace("in the checkpoint", "in the run").replace("in the config", "requested");
  const a = trainingConfigToJson(stored.training), b = trainingConfigToJson(requested.training);
  for (const k of Object.keys(a)) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return `\`training.${k}\` is ${show(a[k])} in the run, ${show(b[k])} requested`;
  }
  return null;
}

/** Refuses resuming `dir` with a config other than the stored one (message names the first difference). */
export function checkResumeConfig(dir: string, requested: { model: ModelConfig; training: TrainingConfig }): RunConfig {
  const stored = readRunConfig(dir);
  const diff = runConfigDifference(stored, requested);
  if (diff !== null) {
    throw new ExtraposError("invalid_config", `cannot resume ${dir} with another config: ${diff}`, "resume with the run's own settings (omit the flags), or train a new run with another --out");
  }
  return stored;
}

/** The JSON part of a train state (see the file header). */
export interface TrainMeta {
  /** The batch stream's state: text windows `{seqLen, rng, drawn}` or a task's `{task, seqLen, rng, drawn}`. */
  sampler: { seqLen: number; rng: (number | null)[]; drawn: number; task?: TaskName };
  positionsRng: (number | null)[] | null;
  optimizerStep: number;
  optimizerShapes: Record<string, number[]>;
  elapsedSeconds: number;
  lastTrainLoss: number | null;
  lastValidLoss: number | null;
  /** Steps skipped for a non-finite loss or gradient norm (absent in runs written before it existed: 0). */
  skippedSteps?: number;
}

export interface RunCheckpoint {
  step: number;
  params: Map<string, Float32Array>;
  optimizer: { step: number; tensors: NamedTensor[] };
  meta: TrainMeta;
}

/** Writes train_state.safetensors, then model.safetensors (both atomic; see the file header). */
export function saveRunCheckpoint(dir: string, config: ModelConfig, ckpt: RunCheckpoint): void {
  const tensors = new Map<string, Float32Array | Int32Array>();
  for (const [name, data] of ckpt.params) tensors.set(`param.${name}`, data);
  for (const t of ckpt.optimizer.tensors) tensors.set(`optim.${t.name}`, t.data);
  saveTrainState(join(dir, RUN_FILES.state), { step: ckpt.step, tensors, meta: ckpt.meta });
  saveCheckpoint(join(dir, RUN_FILES.model), { config, params: ckpt.params, step: ckpt.step });
}

/**
 * The last complete checkpoint of a run, or null when none was written (killed before the first).
 * Rewrites model.safetensors when it lags the train state (a kill between the two renames).
 */
export function loadRunCheckpoint(dir: string, config: ModelConfig): RunCheckpoint | null {
  const statePath = join(dir, RUN_FILES.state);
  if (!existsSync(statePath)) return null;
  const st = loadTrainState(statePath);
  const meta = st.meta as TrainMeta;
  if (typeof meta !== "object" || meta === null || typeof meta.optimizerStep !== "number" || typeof meta.optimizerShapes !== "object" || typeof meta.sampler !== "object") {
    throw corrupt(statePath, "the train state's JSON lacks optimizerStep, optimizerShapes or sampler");
  }
  const params = new Map<string, Float32Array>();
  const tensors: NamedTensor[] = [];
  for (const [name, data] of st.tensors) {
    if (!(data instanceof Float32Array)) throw corrupt(statePath, `\`${name}\` must be F32`);
    if (name.startsWith("param.")) params.set(name.slice(6), data);
    else if (name.startsWith("optim.")) {
      const shape = meta.optimizerShapes[name.slice(6)];
      if (!Array.isArray(shape)) throw corrupt(statePath, `no shape recorded for optimizer tensor \`${name.slice(6)}\``);
      tensors.push({ name: name.slice(6), shape, data });
    } else throw corrupt(statePath, `unexpected tensor \`${name}\``);
  }
  const modelPath = join(dir, RUN_FILES.model);
  // A lagging (or missing) model file is the kill window between the two renames: rewrite it from the state
  // (saveCheckpoint validates the params against the config's table).
  let modelStep = -1;
  if (existsSync(modelPath)) modelStep = loadCheckpoint(modelPath, config).step; // a corrupt file is refused, not repaired
  if (modelStep > st.step) throw corrupt(modelPath, `the model is at step ${modelStep}, after its train state (step ${st.step}); the run was modified by hand`);
  if (modelStep !== st.step) saveCheckpoint(modelPath, { config, params, step: st.step });
  return { step: st.step, params, optimizer: { step: meta.optimizerStep, tensors }, meta };
}
