/**
 * Reader of the PyTorch "debug states" written by ../shared/peers/torch_debug_state.py (transformer),
 * test/fixtures/torch/attn_only_debug_state.py (attention-only transformer, `mlp: false`) and
 * test/fixtures/torch/lstm_debug_state.py (LSTM), for whole-model tests (llm.c style). A debug state is a
 * safetensors file holding `param.<name>` (initial parameters under our checkpoint names), `input_ids`
 * and `targets` (I32 [B, T]), `logits` [B, T, V], `grad.<name>`, `losses` [steps] (AdamW lr 3e-4, betas
 * 0.9/0.95, eps 1e-8, wd 0.1, clip 1.0) and `param_after.<name>`; `__metadata__.config` holds the script's
 * settings ({pe, vocab, d, layers, heads, T, B, steps, seed, init_std, torch[, model][, mlp]}) and
 * `__metadata__.loss` the initial loss as Python's repr of a float.
 *
 * Example:
 *   const s = readTorchDebugState("test/fixtures/torch/rope.safetensors");
 *   referenceForward(s.config, s.params, s.inputIds, s.B, s.T) // ≈ s.logits
 */
import { ExtraposError, show } from "../pe/errors.js";
import { parseModelConfig, type ModelConfig } from "./config.js";
import { paramTable, type Params } from "./params.js";
import { readSafetensors, type Tensor } from "./safetensors.js";

export interface TorchDebugState {
  /** Our model config equivalent to the script's settings. */
  config: ModelConfig;
  /** The script's settings as written (`torch` = PyTorch version). */
  settings: Record<string, unknown>;
  B: number;
  T: number;
  inputIds: Int32Array;
  targets: Int32Array;
  /** Initial parameters, under the table's names. */
  params: Params;
  /** Logits [B, T, V] at the initial parameters. */
  logits: Float32Array;
  /** Initial mean cross-entropy (float64, from the metadata). */
  loss: number;
  /** Gradients of the initial loss, by parameter name. */
  grads: Params;
  /** Losses of the AdamW steps (the first is `loss` in float32). */
  losses: Float32Array;
  /** Parameters after those steps. */
  paramsAfter: Params;
}

/** Reads a debug state and checks it holds exactly the tensors our table names, with our shapes. */
export function readTorchDebugState(path: string): TorchDebugState {
  const { tensors, metadata } = readSafetensors(path);
  const bad = (m: string): ExtraposError => new ExtraposError("corrupt_file", `${path}: ${m}`);
  const s = JSON.parse(metadata.config ?? "null") as Record<string, unknown> | null;
  if (s === null || typeof s !== "object") throw bad("`__metadata__.config` is missing");
  const config = parseModelConfig({
    model: s.model ?? "transformer", vocab_size: s.vocab, tokenizer: "byte", window: null, d_model: s.d, n_layers: s.layers,
    n_heads: s.heads ?? 1, context_length: s.T, pe: s.pe ?? "none", mlp: s.mlp ?? true,
  }, {});
  const get = (name: string, dtype: Tensor["dtype"]): Tensor => {
    const t = tensors.get(name);
    if (t === undefined || t.dtype !== dtype) throw bad(`tensor \`${name}\` (${dtype}) is missing`);
    return t;
  };
  const group = (prefix: string): Params => {
    const out: Params = new Map();
    for (const p of paramTable(config)) {
      const t = get(prefix + p.name, "F32");
      if (t.shape.join(",") !== p.shape.join(",")) throw bad(`\`${prefix}${p.name}\` has shape [${t.shape}], our table says [${p.shape}]`);
      out.set(p.name, t.data as Float32Array);
    }
    return out;
  };
  const ids = get("input_ids", "I32");
  const [B, T] = ids.shape;
  if (ids.shape.length !== 2 || B === undefined || T === undefined || T !== s.T) throw bad(`\`input_ids\` has shape [${ids.shape}], expected [B, ${show(s.T)}]`);
  const loss = Number(metadata.loss);
  if (!Number.isFinite(loss)) throw bad(`\`__metadata__.loss\` is ${show(metadata.loss)}, not a number`);
  return {
    config, settings: s, B, T, loss,
    inputIds: ids.data as Int32Array,
    targets: get("targets", "I32").data as Int32Array,
    params: group("param."),
    logits: get("logits", "F32").data as Float32Array,
    grads: group("grad."),
    losses: get("losses", "F32").data as Float32Array,
    paramsAfter: group("param_after."),
  };
}
