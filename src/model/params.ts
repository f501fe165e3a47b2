/**
 * The parameter table: an ordered list `{name, shape, init}` derived from a `ModelConfig`. It is the one
 * description from which the engine plans its arenas (parameters, gradients, AdamW m and v), the
 * initialiser fills them, and checkpoints name their tensors. Names are the checkpoint keys
 * (issue 4), so a checkpoint loads into PyTorch by name.
 *
 * Layout conventions (all tensors float32, row-major):
 * - Linear weights in PyTorch layout [out, in]; y = x·Wᵀ + b.
 * - `blocks.{i}.attn.qkv.weight` [3d, d]: rows 0…d−1 produce q, d…2d−1 k, 2d…3d−1 v; within each, head h
 *   owns rows h·hs … (h+1)·hs − 1 (hs = d/H, heads contiguous).
 * - The output head is tied to `tok_emb.weight` (logits = ln_f(x)·tok_embᵀ); there is no `head.weight`.
 *
 * Transformer table, in this order (the order of PyTorch's `named_parameters()` in
 * ../shared/peers/torch_debug_state.py, plus the encoding entries):
 *   tok_emb.weight [V, d]
 *   pos_emb.weight [tableSize, d]                    learned only
 *   pe.*                                             encodings shared by all layers (below)
 *   blocks.{i}.ln1.weight [d], .ln1.bias [d]
 *   blocks.{i}.attn.qkv.weight [3d, d], .qkv.bias [3d]
 *   blocks.{i}.attn.proj.weight [d, d], .proj.bias [d]
 *   blocks.{i}.attn.pe.*                             per-layer encodings (below)
 *   blocks.{i}.ln2.weight [d], .ln2.bias [d]          not with `mlp: false`
 *   blocks.{i}.mlp.fc.weight [4d, d], .fc.bias [4d]  not with `mlp: false`
 *   blocks.{i}.mlp.proj.weight [d, 4d], .proj.bias [d]  not with `mlp: false`
 *   ln_f.weight [d], ln_f.bias [d]
 * (`mlp: false`, attention-only blocks: a block is ln1 and attn only.)
 *
 * Encoding parameters come from the encoding's spec (`tensors` in src/pe/<encoding>.ts, listed by
 * `encodingTensors`; docs/checkpoints.md has the table): scope "embedding" → `<name>` right after tok_emb
 * (learned: `pos_emb.weight` [table_size, d]); "shared" → `pe.<name>` before the blocks (t5: `pe.t5.bias`
 * [num_buckets, H]; dynamic-bias: `pe.dynamic_bias.mlp.{k}.weight|bias`); "layer" →
 * `blocks.{i}.attn.pe.<name>` (kerple log: `r1`, `r2` [H]; power: `a`, `p` [H]; fire: `mlp.{0,1}.weight|bias`,
 * `c`, `L_multiplier`; cope: `pos_emb` [max_pos, hs]). Encodings without `tensors` have no parameters.
 *
 * LSTM table (`model: "lstm"`, the seed's embedding → n-layer LSTM → linear; PyTorch names and gate
 * order i, f, g, o within the 4H rows; H = d):
 *   tok_emb.weight [V, d]; pos_emb.weight [tableSize, d] (learned only);
 *   lstm.{l}.weight_ih [4H, in] (in = d), lstm.{l}.weight_hh [4H, H], lstm.{l}.bias_ih [4H], lstm.{l}.bias_hh [4H];
 *   head.weight [V, H], head.bias [V]: NOT tied, as in the seed's `CustomModel` (separate `fc`).
 *
 * Initialisation (`initParams`, seeded `Rng` from src/pe/random.ts, entries drawn in table order):
 * - `tok_emb.weight` ~ N(0, `embedding.init_std`²) (config.ts: by default 0.02 for the transformer, 1 for
 *   the LSTM; d^−0.5 with `embedding.scale` "sqrt_d", fairseq's `Embedding()`).
 * - transformer: every other weight and bias ~ N(0, 0.02²) (including LayerNorm biases and the encoding MLPs),
 *   LayerNorm weights = 1 — exactly the rule of torch_debug_state.py. No GPT-2-style 1/√(2L) scaling of the
 *   residual projections (kept out so that the init matches the PyTorch reference). Encoding scalars as
 *   listed above.
 * - lstm: PyTorch's defaults for the seed's modules: tok_emb ~ N(0, 1) (nn.Embedding, the default init_std); every LSTM tensor
 *   ~ U(−1/√H, 1/√H) (nn.LSTM); head weight and bias ~ U(−1/√H, 1/√H) (nn.Linear's bound 1/√fan_in).
 *   pos_emb (learned) ~ N(0, 0.02²) as in the transformer.
 *
 * Example:
 *   const table = paramTable(parseModelConfig({ d_model: 32, n_layers: 2, n_heads: 2 }));
 *   table[0] // { name: "tok_emb.weight", shape: [256, 32], init: { kind: "normal", std: 0.02 } }
 *   const params = initParams(table, 42); params.get("ln_f.weight") // Float32Array of 32 ones
 */
import { encodingDims, encodingSpec } from "../pe/encodings.js";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import type { InitSpec, TensorDecl } from "../pe/spec.js";
import { INIT_STD, type ModelConfig } from "./config.js";

export { INIT_STD };
export type { InitSpec };

export interface ParamSpec {
  /** Checkpoint key, e.g. "blocks.0.attn.qkv.weight". */
  name: string;
  /** Shape, row-major, e.g. [384, 128]. */
  shape: number[];
  init: InitSpec;
}

const normal: InitSpec = { kind: "normal", std: INIT_STD };
const ones: InitSpec = { kind: "constant", value: 1 };

/** The ordered parameter table of a model (see the header for names, shapes and initialisation). */
export function paramTable(cfg: ModelConfig): ParamSpec[] {
  return cfg.model === "lstm" ? lstmTable(cfg) : transformerTable(cfg);
}

function transformerTable(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel, V = cfg.vocabSize;
  const t: ParamSpec[] = [{ name: "tok_emb.weight", shape: [V, d], init: { kind: "normal", std: cfg.embedding.initStd } }];
  t.push(...peEntries(cfg, "embedding"), ...peEntries(cfg, "shared"));
  for (let i = 0; i < cfg.nLayers; i++) {
    const b = `blocks.${i}`;
    t.push(
      { name: `${b}.ln1.weight`, shape: [d], init: ones },
      { name: `${b}.ln1.bias`, shape: [d], init: normal },
      { name: `${b}.attn.qkv.weight`, shape: [3 * d, d], init: normal },
      { name: `${b}.attn.qkv.bias`, shape: [3 * d], init: normal },
      { name: `${b}.attn.proj.weight`, shape: [d, d], init: normal },
      { name: `${b}.attn.proj.bias`, shape: [d], init: normal },
      ...peEntries(cfg, "layer", `${b}.attn.pe`),
    );
    if (!cfg.mlp) continue; // attention-only block: no ln2, no mlp.*
    t.push(
      { name: `${b}.ln2.weight`, shape: [d], init: ones },
      { name: `${b}.ln2.bias`, shape: [d], init: normal },
      { name: `${b}.mlp.fc.weight`, shape: [4 * d, d], init: normal },
      { name: `${b}.mlp.fc.bias`, shape: [4 * d], init: normal },
      { name: `${b}.mlp.proj.weight`, shape: [d, 4 * d], init: normal },
      { name: `${b}.mlp.proj.bias`, shape: [d], init: normal },
    );
  }
  t.push({ name: "ln_f.weight", shape: [d], init: ones }, { name: "ln_f.bias", shape: [d], init: normal });
  return t;
}

/** The encoding's learnable tensors (its spec's `tensors`), in spec order. */
export function encodingTensors(cfg: ModelConfig): TensorDecl[] {
  return encodingSpec(cfg.pe.kind).tensors?.(cfg.pe as never, encodingDims(cfg)) ?? [];
}

/**
 * Names the encoding's tensors as the parameter table does, for the adapters: `name` (a tensor of the spec,
 * or a prefix of some, e.g. "mlp") in `layer` → `blocks.{layer}.attn.pe.<name>` (scope layer), `pe.<name>`
 * (shared) or `<name>` (embedding). A name the spec does not declare throws when the adapter asks for it.
 * Example: `encodingParamNamer(kerpleCfg)("r1", 2)` → "blocks.2.attn.pe.r1".
 */
export function encodingParamNamer(cfg: ModelConfig): (name: string, layer?: number) => string {
  const decls = encodingTensors(cfg);
  return (name, layer = 0) => {
    const d = decls.find((t) => t.name === name || t.name.startsWith(`${name}.`));
    if (d === undefined) throw new ExtraposError("internal", `pe "${cfg.pe.kind}" declares no tensor \`${name}\` (its spec's \`tensors\`)`);
    return d.scope === "layer" ? `blocks.${layer}.attn.pe.${name}` : d.scope === "shared" ? `pe.${name}` : name;
  };
}

/** Checkpoint names of the encoding's tensors in this config's table (every layer). */
export function encodingParamNames(cfg: ModelConfig): Set<string> {
  const layers = Array.from({ length: cfg.model === "lstm" ? 0 : cfg.nLayers }, (_, i) => peEntries(cfg, "layer", `blocks.${i}.attn.pe`));
  return new Set([...peEntries(cfg, "embedding"), ...peEntries(cfg, "shared"), ...layers.flat()].map((p) => p.name));
}

/** The encoding's entries of one scope: "embedding" and "shared" by full name, "layer" under `prefix`. */
function peEntries(cfg: ModelConfig, scope: TensorDecl["scope"], prefix = ""): ParamSpec[] {
  const names = { embedding: "", shared: "pe.", layer: `${prefix}.` };
  return encodingTensors(cfg).filter((t) => t.scope === scope).map((t) => ({ name: `${names[scope]}${t.name}`, shape: [...t.shape], init: t.init }));
}

function lstmTable(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel, V = cfg.vocabSize, H = d;
  const k = 1 / Math.sqrt(H);
  const u: InitSpec = { kind: "uniform", low: -k, high: k };
  const t: ParamSpec[] = [{ name: "tok_emb.weight", shape: [V, d], init: { kind: "normal", std: cfg.embedding.initStd } }];
  t.push(...peEntries(cfg, "embedding")); // the LSTM takes absolute encodings only (specs' `models`)
  for (let l = 0; l < cfg.nLayers; l++) {
    const inDim = l === 0 ? d : H;
    t.push(
      { name: `lstm.${l}.weight_ih`, shape: [4 * H, inDim], init: u },
      { name: `lstm.${l}.weight_hh`, shape: [4 * H, H], init: u },
      { name: `lstm.${l}.bias_ih`, shape: [4 * H], init: u },
      { name: `lstm.${l}.bias_hh`, shape: [4 * H], init: u },
    );
  }
  t.push({ name: "head.weight", shape: [V, H], init: u }, { name: "head.bias", shape: [V], init: u });
  return t;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Total parameter count of a table. */
export function paramCount(table: readonly ParamSpec[]): number {
  let n = 0;
  for (const p of table) n += numel(p.shape);
  return n;
}

/** Parameters by name, each a float32 tensor of its table shape (row-major). */
export type Params = Map<string, Float32Array>;

/**
 * Fills every tensor of the table from one seeded `Rng`, in table order (normal: Box–Muller gaussians
 * × std; uniform: low + (high − low)·u). Same table and seed → bit-identical parameters.
 *
 * Example: `initParams(paramTable(DEFAULT_MODEL_CONFIG), 0).get("tok_emb.weight")!.length === 256 * 128`
 */
export function initParams(table: readonly ParamSpec[], seed: number): Params {
  const rng = new Rng(seed);
  const out: Params = new Map();
  for (const p of table) {
    const a = new Float32Array(numel(p.shape));
    const init = p.init;
    if (init.kind === "normal") for (let i = 0; i < a.length; i++) a[i] = rng.gaussian() * init.std;
    else if (init.kind === "uniform") for (let i = 0; i < a.length; i++) a[i] = init.low + (init.high - init.low) * rng.float();
    else a.fill(init.value);
    out.set(p.name, a);
  }
  return out;
}

/**
 * Checks that `params` holds exactly the table's tensors with the right element counts; throws
 * `shape_mismatch` naming the first tensor that is missing, extra or of the wrong size.
 */
export function checkParams(table: readonly ParamSpec[], params: ReadonlyMap<string, Float32Array>): void {
  const names = new Set(table.map((p) => p.name));
  for (const p of table) {
    const a = params.get(p.name);
    if (a === undefined) throw new ExtraposError("shape_mismatch", `parameter \`${p.name}\` is missing`);
    if (a.length !== numel(p.shape)) {
      throw new ExtraposError("shape_mismatch", `parameter \`${p.name}\` has ${a.length} elements, shape [${p.shape.join(",")}] needs ${numel(p.shape)}`);
    }
  }
  for (const name of params.keys()) {
    if (!names.has(name)) throw new ExtraposError("shape_mismatch", `parameter \`${name}\` is not in the model's table`);
  }
}
