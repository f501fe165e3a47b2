/**
 * Float64 reference forward passes, written as plain loops over a checkpoint's weights with no engine:
 * the yardstick the engine-backed models are tested against (and that is itself tested against
 * PyTorch debug states, test/fixtures/torch/). Slow by design; use small shapes.
 *
 * Transformer LM (= ../shared/peers/torch_gpt.py, torch_debug_state.py), for tokens x (B×T) at position
 * ids pos[t] (default t; randomized encodings pass sorted random ids):
 *   x_t = s·tok_emb[id_t] + absolute(pos_t)                       (sinusoidal / learned; added unscaled;
 *                                                                  s = √d with embedding.scale "sqrt_d", else 1)
 *   per block:  a = LN1(x);  [q|k|v] = a·Wqkvᵀ + bqkv  (rows q, k, v; head h = channels h·hs…(h+1)·hs−1)
 *               q, k ← rotate(q|k, pos)                           (rope)
 *               s_ij = q_i·k_j/√hs + bias(h, pos_i, pos_j)         (alibi; not divided by √hs)
 *                      for keys j ≤ i (and j > i − W with a window W), else −∞
 *               x ← x + proj(softmax_j(s)·v);  x ← x + fc2(GELU_tanh(fc1(LN2(x))))
 *   logits = LN_f(x)·tok_embᵀ (the UNSCALED table);  LayerNorm eps 1e-5, biased variance.
 * Built-in encodings (`builtinHooks`): none; sinusoidal (interleaved: even channel 2i = sin(pos·base^(−2i/d)),
 * odd 2i+1 = cos, Vaswani spacing); learned (row pos of `pos_emb.weight`, beyond the table as `beyondTable`
 * says: clamp to the last row, or refuse); rope (layouts half and interleaved, `theta`, `rotaryDim`,
 * inv_freq_i = theta^(−2i/rotaryDim) as HF computes for partial rotary); alibi (slopes by Press et al.'s
 * reference formula, bias −m_h·(pos_i − pos_j)). Any other encoding is plugged in by passing `hooks`:
 * `bias(layer, head, qPos, kPos)` for additive biases (T5, KERPLE, FIRE, …) and `rotate(v, pos, which,
 * layer, head)` for rotary ones (xPos), `absolute(pos, x)` for absolute ones (adaptive).
 *
 * LSTM LM (PyTorch nn.LSTM semantics, zero initial states; input x_t as above, same scale s): gates = W_ih·x_t + b_ih + W_hh·h + b_hh, split
 * in rows i, f, g, o; c ← σ(f)·c + σ(i)·tanh(g); h ← σ(o)·tanh(c); logits = head.weight·h + head.bias.
 *
 * Example:
 *   const logits = referenceForward(cfg, params, ids, B, T);   // Float64Array [B, T, V]
 *   const loss = crossEntropy(logits, targets, cfg.vocabSize);  // mean nats
 */
import { ExtraposError } from "../pe/errors.js";
import { firstVisibleKey, visibleKey } from "./attention-pattern.js";
import type { ModelConfig } from "./config.js";
import { checkParams, paramTable, type Params } from "./params.js";

/** Encoding hooks of the reference forward (all optional; positions are position ids, not indices). */
export interface PositionHooks {
  /** Adds the absolute encoding of position `pos` to the embedding `x` (length d) in place. */
  absolute?: (pos: number, x: Float64Array) => void;
  /** Rotates one head vector `v` (length hs) of q or k at position `pos` in place. */
  rotate?: (v: Float64Array, pos: number, which: "q" | "k", layer: number, head: number) => void;
  /** Additive logit bias of `head` in `layer` between a query at `qPos` and a key at `kPos` (after 1/√hs). */
  bias?: (layer: number, head: number, qPos: number, kPos: number) => number;
  /**
   * Transformer-XL (contextual, needs q): the layer's u, v [H·hs] and r(head, distance) [hs]; the logit is
   * ((q + u)·k + (q + v)·r(h, qPos − kPos)) / √hs instead of q·k/√hs + bias. The float64 decoder uses it.
   */
  relative?: (layer: number) => { u: ArrayLike<number>; v: ArrayLike<number>; r: (head: number, distance: number) => ArrayLike<number> };
  /**
   * Optional, for the engine decoder: the bias of `layer` as a Toeplitz table [NH, D+1] (entry (h, n) =
   * `bias(layer, h, q, q − n)`) when that holds for every query position q ≤ D, else null.
   */
  biasTable?: (layer: number, D: number) => Float64Array | null;
}

export interface ReferenceOptions {
  /** Position id of each of the T tokens (same for every batch row), default 0…T−1. */
  positions?: ArrayLike<number>;
  /** Encoding hooks; when given they replace the built-in ones entirely. */
  hooks?: PositionHooks;
}

const LN_EPS = 1e-5;

/** ALiBi slopes by the reference formula (ofirpress/attention_with_linear_biases get_slopes). */
export function alibiSlopesReference(n: number): number[] {
  const pow2 = (m: number): number[] => {
    const start = 2 ** -(2 ** -(Math.log2(m) - 3));
    return Array.from({ length: m }, (_, i) => start * start ** i);
  };
  if (Number.isInteger(Math.log2(n))) return pow2(n);
  const c = 2 ** Math.floor(Math.log2(n));
  return [...pow2(c), ...alibiSlopesReference(2 * c).filter((_, i) => i % 2 === 0).slice(0, n - c)];
}

/** Half-split RoPE on the first r channels: pairs (v[i], v[i+r/2]), angle pos·theta^(−2i/r). */
function rotateHalfSplit(v: Float64Array, pos: number, r: number, theta: number): void {
  const half = r / 2;
  for (let i = 0; i < half; i++) {
    const a = pos * theta ** (-(2 * i) / r);
    const c = Math.cos(a), s = Math.sin(a);
    const x1 = v[i]!, x2 = v[i + half]!;
    v[i] = x1 * c - x2 * s;
    v[i + half] = x1 * s + x2 * c;
  }
}

/** Interleaved RoPE on the first r channels: pairs (v[2i], v[2i+1]), angle pos·theta^(−2i/r). */
function rotateInterleaved(v: Float64Array, pos: number, r: number, theta: number): void {
  for (let i = 0; i < r / 2; i++) {
    const a = pos * theta ** (-(2 * i) / r);
    const c = Math.cos(a), s = Math.sin(a);
    const x1 = v[2 * i]!, x2 = v[2 * i + 1]!;
    v[2 * i] = x1 * c - x2 * s;
    v[2 * i + 1] = x1 * s + x2 * c;
  }
}

/** The reference's own hooks for `pe` nope, sinusoidal, learned, rope, alibi; refuses other encodings. */
export function builtinHooks(cfg: ModelConfig, params: Params): PositionHooks {
  const pe = cfg.pe, d = cfg.dModel;
  switch (pe.kind) {
    case "nope":
      return {};
    case "sinusoidal":
      return {
        absolute: (pos, x) => {
          for (let k = 0; k < d; k++) {
            const a = pos * pe.base ** (-(2 * Math.floor(k / 2)) / d);
            x[k]! += k % 2 === 0 ? Math.sin(a) : Math.cos(a);
          }
        },
      };
    case "learned": {
      const table = params.get("pos_emb.weight")!;
      return {
        absolute: (pos, x) => {
          if (pos >= pe.tableSize && pe.beyondTable === "refuse") {
            throw new ExtraposError("invalid_argument", `position ${pos} is beyond the learned table of ${pe.tableSize} rows (\`pe.beyond_table\` is "refuse")`);
          }
          const row = Math.min(pos, pe.tableSize - 1);
          for (let k = 0; k < d; k++) x[k]! += table[row * d + k]!;
        },
      };
    }
    case "rope": {
      const rot = pe.layout === "half" ? rotateHalfSplit : rotateInterleaved;
      return { rotate: (v, pos) => rot(v, pos, pe.rotaryDim, pe.theta) };
    }
    case "alibi": {
      const slopes = alibiSlopesReference(cfg.nHeads);
      return { bias: (_layer, h, qPos, kPos) => -slopes[h]! * (qPos - kPos) };
    }
    default:
      throw new ExtraposError("invalid_argument", `the reference forward has no built-in \`pe\` "${pe.kind}"`, "pass `hooks` (bias / rotate / absolute) computed by extrapos/pe");
  }
}

/** y[n, out] = x[n, in]·Wᵀ + b, W in PyTorch layout [out, in] (float32 weights, float64 arithmetic). */
/** y [n, outDim] = x [n, inDim]·Wᵀ + b (W [outDim, inDim] row-major), float64: the one definition (the float64 decoders use it too). */
export function linear(x: Float64Array, n: number, inDim: number, w: Float32Array, b: Float32Array | null, outDim: number): Float64Array {
  const y = new Float64Array(n * outDim);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = b === null ? 0 : b[o]!;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i]! * w[o * inDim + i]!;
      y[r * outDim + o] = s;
    }
  }
  return y;
}

/** LayerNorm of n rows of d (eps 1e-5, biased variance, as the engine and PyTorch), float64. */
export function layerNorm(x: Float64Array, n: number, d: number, w: Float32Array, b: Float32Array): Float64Array {
  const y = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[r * d + k]!;
    mean /= d;
    let v = 0;
    for (let k = 0; k < d; k++) v += (x[r * d + k]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + LN_EPS);
    for (let k = 0; k < d; k++) y[r * d + k] = (x[r * d + k]! - mean) * inv * w[k]! + b[k]!;
  }
  return y;
}

/** GELU, tanh approximation (the reference model's). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

function positionsOf(positions: ArrayLike<number> | undefined, T: number): number[] {
  if (positions === undefined) return Array.from({ length: T }, (_, t) => t);
  if (positions.length !== T) throw new ExtraposError("shape_mismatch", `reference forward: \`positions\` has ${positions.length} entries, expected T = ${T}`);
  return Array.from(positions);
}

function checkInputs(cfg: ModelConfig, params: Params, ids: ArrayLike<number>, B: number, T: number): void {
  checkParams(paramTable(cfg), params);
  if (!(Number.isInteger(B) && B >= 1 && Number.isInteger(T) && T >= 1)) throw new ExtraposError("invalid_argument", `reference forward: B and T must be integers ≥ 1, got ${B} and ${T}`);
  if (ids.length !== B * T) throw new ExtraposError("shape_mismatch", `reference forward: input ids have ${ids.length} entries, expected B·T = ${B}·${T} = ${B * T}`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === undefined || !(Number.isInteger(id) && id >= 0 && id < cfg.vocabSize)) {
      throw new ExtraposError("invalid_argument", `reference forward: token id at index ${i} must be in [0, ${cfg.vocabSize}), got ${id}`);
    }
  }
}

/** Scaled token embeddings plus the absolute encoding, [B·T, d]: s·E[id] + absolute(pos), s = √d or 1. */
function embed(cfg: ModelConfig, params: Params, ids: ArrayLike<number>, pos: number[], hooks: PositionHooks): Float64Array {
  const d = cfg.dModel, T = pos.length, emb = params.get("tok_emb.weight")!;
  const s = cfg.embedding.scale === "sqrt_d" ? Math.sqrt(d) : 1;
  const x = new Float64Array(ids.length * d);
  const row = new Float64Array(d);
  for (let n = 0; n < ids.length; n++) {
    for (let k = 0; k < d; k++) row[k] = s * emb[ids[n]! * d + k]!;
    hooks.absolute?.(pos[n % T]!, row);
    x.set(row, n * d);
  }
  return x;
}

/** Causal (optionally windowed, dilated, with global tokens) multi-head attention of one batch row: qkv [T, 3d] → y [T, d]. */
function attention(cfg: ModelConfig, layer: number, qkv: Float64Array, pos: number[], hooks: PositionHooks): Float64Array {
  const d = cfg.dModel, H = cfg.nHeads, hs = d / H, T = pos.length;
  const y = new Float64Array(T * d);
  const scale = 1 / Math.sqrt(hs);
  for (let h = 0; h < H; h++) {
    const head = (t: number, part: number): Float64Array => qkv.slice(t * 3 * d + part * d + h * hs, t * 3 * d + part * d + (h + 1) * hs);
    const q = pos.map((p, t) => { const v = head(t, 0); hooks.rotate?.(v, p, "q", layer, h); return v; });
    const k = pos.map((p, t) => { const v = head(t, 1); hooks.rotate?.(v, p, "k", layer, h); return v; });
    const v = pos.map((_, t) => head(t, 2));
    for (let i = 0; i < T; i++) {
      const first = firstVisibleKey(cfg, layer, i);
      const s: number[] = [];
      for (let j = first; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < hs; c++) dot += q[i]![c]! * k[j]![c]!;
        s.push(visibleKey(cfg, layer, h, i, j) ? dot * scale + (hooks.bias ? hooks.bias(layer, h, pos[i]!, pos[j]!) : 0) : -Infinity);
      }
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = first; j <= i; j++) {
        const p = e[j - first]! / z;
        for (let c = 0; c < hs; c++) y[i * d + h * hs + c]! += p * v[j]![c]!;
      }
    }
  }
  return y;
}

/**
 * Logits [B, T, V] (float64) of the transformer LM over `params` for token ids [B, T] (row-major).
 * Uses the built-in hooks for `cfg.pe` unless `opts.hooks` is given.
 */
export function referenceForward(cfg: ModelConfig, params: Params, ids: ArrayLike<number>, B: number, T: number, opts: ReferenceOptions = {}): Float64Array {
  if (cfg.model !== "transformer") throw new ExtraposError("invalid_argument", `referenceForward is the transformer's; got model "${cfg.model}" (use referenceLstmForward)`);
  checkInputs(cfg, params, ids, B, T);
  const hooks = opts.hooks ?? builtinHooks(cfg, params);
  const pos = positionsOf(opts.positions, T);
  const d = cfg.dModel, V = cfg.vocabSize, N = B * T;
  const P = (name: string): Float32Array => params.get(name)!;
  const x = embed(cfg, params, ids, pos, hooks);
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `blocks.${l}`;
    const qkv = linear(layerNorm(x, N, d, P(`${b}.ln1.weight`), P(`${b}.ln1.bias`)), N, d, P(`${b}.attn.qkv.weight`), P(`${b}.attn.qkv.bias`), 3 * d);
    const att = new Float64Array(N * d);
    for (let r = 0; r < B; r++) att.set(attention(cfg, l, qkv.subarray(r * T * 3 * d, (r + 1) * T * 3 * d), pos, hooks), r * T * d);
    const proj = linear(att, N, d, P(`${b}.attn.proj.weight`), P(`${b}.attn.proj.bias`), d);
    for (let i = 0; i < x.length; i++) x[i]! += proj[i]!;
    if (!cfg.mlp) continue; // attention-only block
    const fc = linear(layerNorm(x, N, d, P(`${b}.ln2.weight`), P(`${b}.ln2.bias`)), N, d, P(`${b}.mlp.fc.weight`), P(`${b}.mlp.fc.bias`), 4 * d);
    for (let i = 0; i < fc.length; i++) fc[i] = geluTanh(fc[i]!);
    const mlp = linear(fc, N, 4 * d, P(`${b}.mlp.proj.weight`), P(`${b}.mlp.proj.bias`), d);
    for (let i = 0; i < x.length; i++) x[i]! += mlp[i]!;
  }
  return linear(layerNorm(x, N, d, P("ln_f.weight"), P("ln_f.bias")), N, d, P("tok_emb.weight"), null, V);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Logits [B, T, V] (float64) of the seed's LSTM LM over `params` for token ids [B, T]. */
export function referenceLstmForward(cfg: ModelConfig, params: Params, ids: ArrayLike<number>, B: number, T: number, opts: ReferenceOptions = {}): Float64Array {
  if (cfg.model !== "lstm") throw new ExtraposError("invalid_argument", `referenceLstmForward is the LSTM's; got model "${cfg.model}" (use referenceForward)`);
  checkInputs(cfg, params, ids, B, T);
  const hooks = opts.hooks ?? builtinHooks(cfg, params);
  const pos = positionsOf(opts.positions, T);
  const d = cfg.dModel, H = d, V = cfg.vocabSize;
  let x = embed(cfg, params, ids, pos, hooks);
  let inDim = d;
  for (let l = 0; l < cfg.nLayers; l++) {
    const wih = params.get(`lstm.${l}.weight_ih`)!, whh = params.get(`lstm.${l}.weight_hh`)!;
    const bih = params.get(`lstm.${l}.bias_ih`)!, bhh = params.get(`lstm.${l}.bias_hh`)!;
    const out = new Float64Array(B * T * H);
    for (let r = 0; r < B; r++) {
      const h = new Float64Array(H), c = new Float64Array(H);
      for (let t = 0; t < T; t++) {
        const xt = x.subarray((r * T + t) * inDim, (r * T + t + 1) * inDim);
        const g = linear(xt, 1, inDim, wih, bih, 4 * H);
        const gh = linear(h, 1, H, whh, bhh, 4 * H);
        for (let k = 0; k < H; k++) {
          const ig = sigmoid(g[k]! + gh[k]!), fg = sigmoid(g[H + k]! + gh[H + k]!);
          const gg = Math.tanh(g[2 * H + k]! + gh[2 * H + k]!), og = sigmoid(g[3 * H + k]! + gh[3 * H + k]!);
          c[k] = fg * c[k]! + ig * gg;
          h[k] = og * Math.tanh(c[k]!);
        }
        out.set(h, (r * T + t) * H);
      }
    }
    x = out;
    inDim = H;
  }
  return linear(x, B * T, H, params.get("head.weight")!, params.get("head.bias")!, V);
}

/** Mean cross-entropy (nats) of logits [N, V] against targets [N], computed with log-sum-exp in float64. */
export function crossEntropy(logits: Float64Array, targets: ArrayLike<number>, V: number): number {
  const N = targets.length;
  if (logits.length !== N * V) throw new ExtraposError("shape_mismatch", `crossEntropy: logits have ${logits.length} entries, expected N·V = ${N}·${V}`);
  let total = 0;
  for (let n = 0; n < N; n++) {
    const tgt = targets[n];
    if (tgt === undefined || !(Number.isInteger(tgt) && tgt >= 0 && tgt < V)) throw new ExtraposError("invalid_argument", `crossEntropy: target at index ${n} must be in [0, ${V}), got ${tgt}`);
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[n * V + v]!);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[n * V + v]! - m);
    total += m + Math.log(z) - logits[n * V + tgt]!;
  }
  return total / N;
}
