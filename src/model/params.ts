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
 *   blocks.{i}.ln2.weight [d], .ln2.bias [d]
 *   blocks.{i}.mlp.fc.weight [4d, d], .fc.bias [4d]
 *   blocks.{i}.mlp.proj.weight [d, 4d], .proj.bias [d]
 *   ln_f.weight [d], ln_f.bias [d]
 *
 * Encoding parameters (H = n_heads, hs = head dim):
 * - t5 (shared, as in T5): `pe.t5.bias` [numBuckets, H]: bias of bucket b for head h at [b, h].
 * - dynamic-bias (shared, as in x-transformers): `pe.dynamic_bias.mlp.{k}.weight|bias`, k-th linear layer:
 *   k = 0: [hidden, 1]; 1 ≤ k < depth: [hidden, hidden]; k = depth: [H, hidden]. SiLU between layers.
 * - kerple-log, per layer: `blocks.{i}.attn.pe.r1` [H] (init U(0,2)), `.r2` [H] (init U(0,1)); bias
 *   −r1·log(1 + r2·|i−j|). Init as chijames/KERPLE `ParallelKerpleLog` (bias_p ~ 2·U(0,1), bias_a ~ U(0,1));
 *   the forward clamps both to ≥ 1e-2 as the reference does.
 * - kerple-power, per layer: `blocks.{i}.attn.pe.a` [H] (U(0,1)), `.p` [H] (U(0,2)); bias −a·|i−j|^p,
 *   forward clamps a ≥ 1e-2 and p ∈ [1e-2, 2] (chijames/KERPLE `ParallelKerplePower`).
 * - fire, per layer: `blocks.{i}.attn.pe.mlp.0.weight` [hidden, 1], `.mlp.0.bias` [hidden],
 *   `.mlp.1.weight` [H, hidden], `.mlp.1.bias` [H] (ReLU between), `.c` [1] (init `initC`, 0.1),
 *   `.L_multiplier` [1] (init 1; threshold L = |L_multiplier|·initL, as mcleish7/arithmetic `FIRE`).
 * - cope, per layer: `blocks.{i}.attn.pe.pos_emb` [maxPos, hs] (init zeros, as x-transformers `CoPE`).
 * - none, sinusoidal, adaptive, rope, xpos, alibi, sandwich: no parameters.
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
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { INIT_STD, type ModelConfig } from "./config.js";

export { INIT_STD };

/** How one tensor is initialised. */
export type InitSpec =
  | { kind: "normal"; std: number }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "constant"; value: number };

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
  if (cfg.pe.kind === "learned") t.push({ name: "pos_emb.weight", shape: [cfg.pe.tableSize, d], init: normal });
  t.push(...sharedPeTable(cfg));
  for (let i = 0; i < cfg.nLayers; i++) {
    const b = `blocks.${i}`;
    t.push(
      { name: `${b}.ln1.weight`, shape: [d], init: ones },
      { name: `${b}.ln1.bias`, shape: [d], init: normal },
      { name: `${b}.attn.qkv.weight`, shape: [3 * d, d], init: normal },
      { name: `${b}.attn.qkv.bias`, shape: [3 * d], init: normal },
      { name: `${b}.attn.proj.weight`, shape: [d, d], init: normal },
      { name: `${b}.attn.proj.bias`, shape: [d], init: normal },
      ...layerPeTable(cfg, `${b}.attn.pe`),
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

/** Linear layers `${prefix}.{k}` of an MLP with the given widths ([in, h1, …, out]). */
function mlpTable(prefix: string, widths: number[]): ParamSpec[] {
  const t: ParamSpec[] = [];
  for (let k = 0; k + 1 < widths.length; k++) {
    t.push({ name: `${prefix}.${k}.weight`, shape: [widths[k + 1]!, widths[k]!], init: normal });
    t.push({ name: `${prefix}.${k}.bias`, shape: [widths[k + 1]!], init: normal });
  }
  return t;
}

function sharedPeTable(cfg: ModelConfig): ParamSpec[] {
  const pe = cfg.pe, H = cfg.nHeads;
  switch (pe.kind) {
    case "t5":
      return [{ name: "pe.t5.bias", shape: [pe.numBuckets, H], init: normal }];
    case "dynamic-bias":
      return mlpTable("pe.dynamic_bias.mlp", [1, ...Array<number>(pe.depth).fill(pe.hidden), H]);
    default:
      return [];
  }
}

function layerPeTable(cfg: ModelConfig, p: string): ParamSpec[] {
  const pe = cfg.pe, H = cfg.nHeads;
  switch (pe.kind) {
    case "kerple-log":
      return [
        { name: `${p}.r1`, shape: [H], init: { kind: "uniform", low: 0, high: 2 } },
        { name: `${p}.r2`, shape: [H], init: { kind: "uniform", low: 0, high: 1 } },
      ];
    case "kerple-power":
      return [
        { name: `${p}.a`, shape: [H], init: { kind: "uniform", low: 0, high: 1 } },
        { name: `${p}.p`, shape: [H], init: { kind: "uniform", low: 0, high: 2 } },
      ];
    case "fire":
      return [
        ...mlpTable(`${p}.mlp`, [1, pe.hidden, H]),
        { name: `${p}.c`, shape: [1], init: { kind: "constant", value: pe.initC } },
        { name: `${p}.L_multiplier`, shape: [1], init: { kind: "constant", value: 1 } },
      ];
    case "cope":
      return [{ name: `${p}.pos_emb`, shape: [pe.maxPos, cfg.dModel / H], init: { kind: "constant", value: 0 } }];
    default:
      return [];
  }
}

function lstmTable(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel, V = cfg.vocabSize, H = d;
  const k = 1 / Math.sqrt(H);
  const u: InitSpec = { kind: "uniform", low: -k, high: k };
  const t: ParamSpec[] = [{ name: "tok_emb.weight", shape: [V, d], init: { kind: "normal", std: cfg.embedding.initStd } }];
  if (cfg.pe.kind === "learned") t.push({ name: "pos_emb.weight", shape: [cfg.pe.tableSize, d], init: normal });
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
