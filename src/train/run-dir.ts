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
 * (step, sampler, position RNG, elapsed time) and, for Transformer-XL with mem_len > 0, the segment memory
 * ("mem.mem.<layer>" [B, m, d]); then `model.safetensors`. Both are atomic (temp file +
 * rename), so after a kill -9 at any instant the train state is a complete checkpoint on its own,
 * and a resume that finds `model.safetensors` at another step rewrites it from the state.
 *
 * The formats themselves (config JSON, checkpoint bytes) are in run-format.ts (browser-safe); this
 * module reads and writes the directory (Node).
 *
 * Example:
 *   refuseExistingRun("runs/a");            // throws when runs/a holds a run
 *   const cfg = readRunConfig("runs/a");    // { model, training, data, ... } validated
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic-write.js";
import { ExtraposError, show } from "../pe/errors.js";
import type { ModelConfig } from "../model/config.js";
import { loadCheckpoint, loadTrainState, saveCheckpoint } from "../model/checkpoint.js";
import type { NamedTensor } from "../model/lm.js";
import type { TrainingConfig } from "./config.js";
import { corrupt, encodeRunCheckpoint, parseRunConfig, RUN_FILES, runConfigDifference, runConfigToJson, type RunCheckpoint, type RunConfig, type TrainMeta } from "./run-format.js";

export * from "./run-format.js";

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

export function writeRunConfig(dir: string, c: RunConfig): void {
  writeFileAtomic(join(dir, RUN_FILES.config), JSON.stringify(runConfigToJson(c), null, 2) + "\n");
}

/** Reads and validates DIR/config.json. */
export function readRunConfig(dir: string): RunConfig {
  const path = join(dir, RUN_FILES.config);
  if (!existsSync(path)) throw new ExtraposError("io", `${show(dir)} is not an extrapos run: ${RUN_FILES.config} is missing`, "pass the --out directory of `extrapos train`");
  return parseRunConfig(readFileSync(path, "utf8"), path);
}

/**
 * Refuses resuming `dir` with a config other than the stored one: the message names the first difference (a
 * file-form key in backticks, which `extrapos train` rewrites to the flag the user typed), both values, and a hint.
 * `requested` is the resolved configs, or only the overrides asked for (runConfigDifference).
 */
export function checkResumeConfig(dir: string, requested: Parameters<typeof runConfigDifference>[1], stored: RunConfig = readRunConfig(dir)): RunConfig {
  const d = runConfigDifference(stored, requested);
  if (d !== null) {
    throw new ExtraposError(
      "invalid_config", `cannot resume ${dir} with another config: \`${d.key}\` is ${d.a} in the run, ${d.b} requested`,
      `omit \`${d.key}\` to keep the run's ${d.a === "absent" || d.a === "null" ? "setting (none)" : d.a}, or train a new run with another --out`,
    );
  }
  return stored;
}

/** Writes train_state.safetensors, then model.safetensors (both atomic; see the file header). */
export function saveRunCheckpoint(dir: string, config: ModelConfig, ckpt: RunCheckpoint): void {
  const bytes = encodeRunCheckpoint(config, ckpt);
  writeFileAtomic(join(dir, RUN_FILES.state), bytes.state);
  writeFileAtomic(join(dir, RUN_FILES.model), bytes.model);
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
  const tensors: NamedTensor[] = [], memory: NamedTensor[] = [];
  for (const [name, data] of st.tensors) {
    if (!(data instanceof Float32Array)) throw corrupt(statePath, `\`${name}\` must be F32`);
    if (name.startsWith("param.")) params.set(name.slice(6), data);
    else if (name.startsWith("optim.")) {
      const shape = meta.optimizerShapes[name.slice(6)];
      if (!Array.isArray(shape)) throw corrupt(statePath, `no shape recorded for optimizer tensor \`${name.slice(6)}\``);
      tensors.push({ name: name.slice(6), shape, data });
    } else if (name.startsWith("mem.")) {
      const shape = meta.memoryShapes?.[name.slice(4)];
      if (!Array.isArray(shape)) throw corrupt(statePath, `no shape recorded for segment-memory tensor \`${name.slice(4)}\``);
      memory.push({ name: name.slice(4), shape, data });
    } else throw corrupt(statePath, `unexpected tensor \`${name}\``);
  }
  const modelPath = join(dir, RUN_FILES.model);
  // A lagging (or missing) model file is the kill window between the two renames: rewrite it from the state
  // (saveCheckpoint validates the params against the config's table).
  let modelStep = -1;
  if (existsSync(modelPath)) modelStep = loadCheckpoint(modelPath, config).step; // a corrupt file is refused, not repaired
  if (modelStep > st.step) throw corrupt(modelPath, `the model is at step ${modelStep}, after its train state (step ${st.step}); the run was modified by hand`);
  if (modelStep !== st.step) saveCheckpoint(modelPath, { config, params, step: st.step });
  return { step: st.step, params, optimizer: { step: meta.optimizerStep, tensors }, meta, ...(memory.length > 0 ? { memory } : {}) };
}
