/**
 * The run folder's formats, on values and bytes (Node and browsers): config.json (`runConfigToJson`,
 * `parseRunConfig`), the checkpoint pair (`encodeRunCheckpoint`: train_state.safetensors and
 * model.safetensors), the data fingerprint. run-dir.ts reads and writes them in a directory (Node);
 * a page builds the same files in memory (see `runFolderFiles`).
 *
 * Example:
 *   const { state, model } = encodeRunCheckpoint(config, ckpt);   // the two files' bytes
 */
import { ExtraposError, show } from "../pe/errors.js";
import { modelConfigToJson, parseModelConfig, type ModelConfig } from "../model/config.js";
import { encodeCheckpoint, encodeTrainState, firstDifference, type ConfigDifference } from "../model/checkpoint-codec.js";
import { canonicalEncodingName } from "../pe/encodings.js";
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

export function corrupt(path: string, m: string): ExtraposError {
  return new ExtraposError("corrupt_file", `${path}: ${m}`);
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

/** Parses and validates the text of a run's config.json (`path` names it in errors). */
export function parseRunConfig(text: string, path: string): RunConfig {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
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

/**
 * The first difference between a run's stored config and the requested one (a model key such as `pe.kind`, or
 * `training.<key>`), or null. `requested` may be the resolved configs, or only the overrides asked for (file form,
 * `{model?, training?}`: only their keys are compared, e.g. when the overrides do not even make a valid config with
 * the run's other settings).
 */
export function runConfigDifference(stored: RunConfig, requested: { model: ModelConfig; training: TrainingConfig } | { overrides: { model?: Record<string, unknown>; training?: Record<string, unknown> } }): ConfigDifference | null {
  const only = "overrides" in requested;
  const storedModel = modelConfigToJson(stored.model);
  const m = only ? firstDifference(storedModel, canonicalPe(requested.overrides.model ?? {}), true) : firstDifference(storedModel, modelConfigToJson(requested.model));
  if (m !== null) return m;
  const a = trainingConfigToJson(stored.training), b = only ? (requested.overrides.training ?? {}) : trainingConfigToJson(requested.training);
  for (const k of only ? Object.keys(b) : Object.keys(a)) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return { key: `training.${k}`, a: k in a ? show(a[k]) : "absent", b: show(b[k]) };
  }
  return null;
}

/** Overrides with `pe.kind` spelled canonically (an alias such as `none` is the stored `nope`). */
function canonicalPe(model: Record<string, unknown>): Record<string, unknown> {
  const pe = model.pe;
  if (typeof pe === "string") return { ...model, pe: { kind: canonicalEncodingName(pe) ?? pe } };
  if (typeof pe !== "object" || pe === null || Array.isArray(pe)) return model;
  const kind = (pe as Record<string, unknown>).kind;
  return { ...model, pe: { ...pe, kind: canonicalEncodingName(kind) ?? kind } };
}

/** The JSON part of a train state (see the file header). */
export interface TrainMeta {
  /** The batch stream's state: text windows `{seqLen, rng, drawn}` or a task's `{task, seqLen, rng, drawn}`. */
  sampler: { seqLen: number; rng: (number | null)[]; drawn: number; task?: TaskName; lanes?: number };
  positionsRng: (number | null)[] | null;
  optimizerStep: number;
  optimizerShapes: Record<string, number[]>;
  elapsedSeconds: number;
  lastTrainLoss: number | null;
  lastValidLoss: number | null;
  /** Steps skipped for a non-finite loss or gradient norm (absent in runs written before it existed: 0). */
  skippedSteps?: number;
  /** Shapes of the segment-memory tensors ("mem.<name>"; Transformer-XL with mem_len > 0), when any. */
  memoryShapes?: Record<string, number[]>;
}

export interface RunCheckpoint {
  step: number;
  params: Map<string, Float32Array>;
  optimizer: { step: number; tensors: NamedTensor[] };
  meta: TrainMeta;
  /** The model's segment memory carried to the next step (`TrainableModel.memoryState`), when any. */
  memory?: NamedTensor[];
}

/** The bytes of train_state.safetensors (parameters, optimizer tensors, JSON state) and model.safetensors. */
export function encodeRunCheckpoint(config: ModelConfig, ckpt: RunCheckpoint): { state: Uint8Array; model: Uint8Array } {
  const tensors = new Map<string, Float32Array | Int32Array>();
  for (const [name, data] of ckpt.params) tensors.set(`param.${name}`, data);
  for (const t of ckpt.optimizer.tensors) tensors.set(`optim.${t.name}`, t.data);
  for (const t of ckpt.memory ?? []) tensors.set(`mem.${t.name}`, t.data);
  return {
    state: encodeTrainState({ step: ckpt.step, tensors, meta: ckpt.meta }),
    model: encodeCheckpoint({ config, params: ckpt.params, step: ckpt.step }),
  };
}
