/**
 * Checkpoints: a model's parameters (the tensors of `paramTable(config)`, float32, under their table
 * names) in one safetensors file whose `__metadata__` holds
 *   format: "extrapos-checkpoint", format_version: "1",
 *   config: the full resolved model config as JSON in file form (snake_case, see config.ts),
 *   step:   the training step (decimal integer string).
 * The state needed for an exact resume (AdamW moments, RNG state, data position, …) goes in a second
 * file, `saveTrainState` / `loadTrainState` (named float32/int32 arrays + JSON), so that the model file
 * stays a clean PyTorch-loadable state dict. Both files carry the step, and `loadTrainState` can check it
 * against the checkpoint's (the two renames are separate, so a crash between them is detectable).
 *
 * Loading validates the file (safetensors.ts), the metadata, the config (parseModelConfig), and that the
 * tensors are exactly the config's table: every one present, dtype F32, the table's shape, nothing else.
 * Given an expected config (e.g. the CLI's), it also refuses a checkpoint of another architecture:
 * "checkpoint from another config: `blocks.0.attn.qkv.weight` has shape [96,32], config expects [384,128]".
 *
 * This module works on bytes (Node and browsers); checkpoint.ts reads and writes the files (Node).
 *
 * Example:
 *   const config = parseModelConfig({ d_model: 32, n_layers: 1, n_heads: 2 });
 *   const bytes = encodeCheckpoint({ config, params: initParams(paramTable(config), 0), step: 0 });
 *   const { params, step } = decodeCheckpoint(bytes, "model.safetensors", config);
 */
import { ExtraposError, show } from "../pe/errors.js";
import { modelConfigToJson, parseModelConfig, type ModelConfig } from "./config.js";
import { checkParams, paramTable, type Params, type ParamSpec } from "./params.js";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "./safetensors-codec.js";

export const CHECKPOINT_FORMAT = "extrapos-checkpoint";
export const TRAIN_STATE_FORMAT = "extrapos-train-state";
export const FORMAT_VERSION = "1";

export interface Checkpoint {
  config: ModelConfig;
  /** Tensors of `paramTable(config)`, by name. */
  params: Params;
  /** Training steps done when saved. */
  step: number;
}

function checkStep(step: number): void {
  if (!Number.isSafeInteger(step) || step < 0) throw new ExtraposError("invalid_argument", `checkpoint \`step\` must be an integer ≥ 0, got ${show(step)}`);
}

/** The safetensors bytes of a checkpoint; refuses params that do not match the config's table. */
export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  checkStep(ckpt.step);
  const table = paramTable(ckpt.config);
  checkParams(table, ckpt.params);
  const tensors = new Map<string, Tensor>();
  for (const p of table) tensors.set(p.name, { dtype: "F32", shape: p.shape, data: ckpt.params.get(p.name)! });
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    format_version: FORMAT_VERSION,
    config: JSON.stringify(modelConfigToJson(ckpt.config)),
    step: String(ckpt.step),
  });
}

function corrupt(path: string, m: string, hint?: string): ExtraposError {
  return new ExtraposError("corrupt_file", `${path}: ${m}`, hint);
}

function readHeaderFields(path: string, metadata: Record<string, string>, format: string): void {
  if (metadata.format !== format) {
    throw corrupt(path, `\`__metadata__.format\` is ${show(metadata.format)}, expected "${format}"`, "this is not a file written by extrapos for this purpose");
  }
  if (metadata.format_version !== FORMAT_VERSION) {
    throw corrupt(path, `\`__metadata__.format_version\` is ${show(metadata.format_version)}; this version of extrapos reads "${FORMAT_VERSION}"`);
  }
}

function parseStep(path: string, s: string | undefined): number {
  if (s === undefined || !/^(0|[1-9][0-9]*)$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw corrupt(path, `\`__metadata__.step\` is ${show(s)}, not a non-negative integer`);
  }
  return Number(s);
}

/** Flattens a JSON value to `path → scalar` for a readable diff. */
function flatten(v: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix === "" ? k : `${prefix}.${k}`, out);
  } else {
    out.set(prefix, v);
  }
  return out;
}

/** Keys compared first: a difference in one of them explains differences in others (vocab_size, the encoding's parameters). */
const PRIMARY_KEYS = ["model", "tokenizer", "pe.kind"];

/**
 * First difference between two configs, as "`key` is A in the checkpoint, B in the config", or null.
 * Keys are file-form paths (`d_model`, `pe.theta`, `pe.randomized.max_length`); a key missing on one side is "absent"
 * (a null or scalar on one side and an object on the other is named by the object's first key).
 */
export function configDifference(checkpoint: ModelConfig, expected: ModelConfig): string | null {
  const d = firstDifference(modelConfigToJson(checkpoint), modelConfigToJson(expected));
  return d === null ? null : `\`${d.key}\` is ${d.a} in the checkpoint, ${d.b} in the config`;
}

/** A config difference: the key (file-form path) and both values as shown in messages ("absent" when missing). */
export interface ConfigDifference {
  key: string;
  a: string;
  b: string;
}

/**
 * The first difference between two file-form configs (see `configDifference`); with `onlyB`, only keys set in
 * `b` are compared (`b` is a set of overrides).
 */
export function firstDifference(aJson: Record<string, unknown>, bJson: Record<string, unknown>, onlyB = false): ConfigDifference | null {
  const a = withMlp(flatten(aJson, "", new Map()));
  const b = flatten(bJson, "", new Map());
  if (!onlyB) withMlp(b); // overrides without `mlp` leave it as stored
  const keys = [...new Set([...PRIMARY_KEYS, ...a.keys(), ...b.keys()])].filter((k) => (onlyB ? b.has(k) : a.has(k) || b.has(k)));
  const nested = (k: string): boolean => keys.some((x) => x.startsWith(`${k}.`));
  const value = (m: Map<string, unknown>, k: string): string => (m.has(k) ? show(m.get(k)) : "absent");
  for (const k of keys) {
    if (nested(k)) continue; // e.g. `pe.randomized`: null here, {max_length} there: named by `pe.randomized.max_length`
    if (a.has(k) !== b.has(k) || JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k))) return { key: k, a: value(a, k), b: value(b, k) };
  }
  return null;
}

/** A file form without `mlp` has MLPs (config.ts writes the key only when false): compared as `mlp: true`. */
function withMlp(m: Map<string, unknown>): Map<string, unknown> {
  if (!m.has("mlp")) m.set("mlp", true);
  return m;
}

/** First way `tensors` differ from `table` (missing, extra, wrong dtype or shape), or null. */
function tableMismatch(table: readonly ParamSpec[], tensors: ReadonlyMap<string, Tensor>, what: string): string | null {
  const names = new Set(table.map((p) => p.name));
  for (const p of table) {
    const t = tensors.get(p.name);
    if (t === undefined) return `\`${p.name}\` is missing (${what} has it with shape [${p.shape.join(",")}])`;
    if (t.dtype !== "F32") return `\`${p.name}\` has dtype ${t.dtype}, parameters are F32`;
    if (t.shape.length !== p.shape.length || t.shape.some((s, i) => s !== p.shape[i])) {
      return `\`${p.name}\` has shape [${t.shape.join(",")}], ${what} expects [${p.shape.join(",")}]`;
    }
  }
  for (const name of tensors.keys()) {
    if (!names.has(name)) return `\`${name}\` is not a parameter of ${what}`;
  }
  return null;
}

/**
 * Decodes and validates a checkpoint (`path` names it in errors). With `expected`, refuses a checkpoint
 * whose tensors or config differ from it ("checkpoint from another config: …"); without, trusts the
 * checkpoint's own config (resume).
 */
export function decodeCheckpoint(bytes: Uint8Array, path: string, expected?: ModelConfig): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  readHeaderFields(path, metadata, CHECKPOINT_FORMAT);
  const step = parseStep(path, metadata.step);
  if (metadata.config === undefined) throw corrupt(path, "`__metadata__.config` is missing");
  let config: ModelConfig;
  try {
    config = parseModelConfig(JSON.parse(metadata.config), {});
  } catch (e) {
    throw corrupt(path, `\`__metadata__.config\` is not a valid model config: ${(e as Error).message}`);
  }
  if (expected !== undefined) {
    const shapeProblem = tableMismatch(paramTable(expected), tensors, "the config");
    if (shapeProblem !== null) {
      // blocks with and without MLPs differ by whole tensors: say which key explains it
      const why = config.mlp !== expected.mlp ? ` (\`mlp\` is ${config.mlp} in the checkpoint, ${expected.mlp} in the config)` : "";
      throw new ExtraposError("shape_mismatch", `${path}: checkpoint from another config: ${shapeProblem}${why}`, "load it with its own config (e.g. --resume), or train a new model");
    }
    const diff = configDifference(config, expected);
    if (diff !== null) throw new ExtraposError("invalid_config", `${path}: checkpoint from another config: ${diff}`);
  }
  const own = tableMismatch(paramTable(config), tensors, "the checkpoint's own config");
  if (own !== null) throw corrupt(path, own);
  const params: Params = new Map();
  for (const p of paramTable(config)) params.set(p.name, tensors.get(p.name)!.data as Float32Array);
  return { config, params, step };
}

// ---------------------------------------------------------------------------------------------------
// train state (exact resume)

/** Everything beyond the model needed to continue a run bit-exactly. */
export interface TrainState {
  /** The step this state belongs to (must equal the checkpoint's). */
  step: number;
  /** Named flat arrays, e.g. "adam.m.tok_emb.weight", "adam.v.tok_emb.weight". Stored 1-D. */
  tensors: Map<string, Float32Array | Int32Array>;
  /** Any JSON (optimizer step count, lr schedule position, RNG states, data cursor). Numbers must be finite. */
  meta: unknown;
}

/** Refuses values JSON would silently change (NaN/±Infinity → null, undefined → dropped). */
function checkJson(v: unknown, path: string): void {
  if (typeof v === "number" && !Number.isFinite(v)) {
    throw new ExtraposError("non_finite", `train state \`${path}\` is ${v}, which JSON cannot store`, "encode it explicitly (e.g. a string or a flag)");
  }
  if (v === undefined || typeof v === "function" || typeof v === "bigint" || typeof v === "symbol") {
    throw new ExtraposError("invalid_argument", `train state \`${path}\` is ${v === undefined ? "undefined" : `a ${typeof v}`}, which JSON cannot store`);
  }
  if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) checkJson(x, Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`);
  }
}

/**
 * The bytes of a train state (safetensors, `__metadata__` {format, format_version, step, state}).
 *
 * Example: `encodeTrainState({ step: 10, tensors: new Map([["adam.m.w", m]]), meta: { rng: rng.state() } })`
 */
export function encodeTrainState(state: TrainState): Uint8Array {
  checkStep(state.step);
  checkJson(state.meta, "meta");
  const tensors = new Map<string, Tensor>();
  for (const [name, a] of state.tensors) {
    tensors.set(name, a instanceof Float32Array ? { dtype: "F32", shape: [a.length], data: a } : { dtype: "I32", shape: [a.length], data: a });
  }
  return encodeSafetensors(tensors, {
    format: TRAIN_STATE_FORMAT,
    format_version: FORMAT_VERSION,
    step: String(state.step),
    state: JSON.stringify(state.meta),
  });
}

/** Decodes a train state; with `expectedStep`, refuses a state saved at another step than the checkpoint. */
export function decodeTrainState(bytes: Uint8Array, path: string, expectedStep?: number): TrainState {
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  readHeaderFields(path, metadata, TRAIN_STATE_FORMAT);
  const step = parseStep(path, metadata.step);
  if (expectedStep !== undefined && step !== expectedStep) {
    throw corrupt(path, `train state is at step ${step}, the checkpoint at step ${expectedStep}`, "the run was interrupted between the two writes; resume from an earlier checkpoint pair");
  }
  let meta: unknown;
  try {
    meta = JSON.parse(metadata.state ?? "");
  } catch (e) {
    throw corrupt(path, `\`__metadata__.state\` is not valid JSON (${(e as Error).message})`);
  }
  const out = new Map<string, Float32Array | Int32Array>();
  for (const [name, t] of tensors) out.set(name, t.data);
  return { step, tensors: out, meta };
}
