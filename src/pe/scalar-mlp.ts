/**
 * Shared helper: a small MLP from one scalar to H outputs, forward and backward (used by FIRE and dynamic bias).
 *
 * Formula: h_0 = x (1 input); h_{l+1} = act(W_l h_l + b_l) for hidden layers; y = W_L h_L + b_L (no activation).
 *   act ∈ { relu (torch: derivative 0 at 0), silu (x·σ(x)) }.
 * Paper: none (plumbing). FIRE uses 1→32→H with ReLU; x-transformers' dynamic position bias 1→dim(→dim)*→H with SiLU.
 * Reference: torch.nn.Linear (weight [out, in], y = x Wᵀ + b), torch.nn.ReLU, torch.nn.SiLU.
 * Models: see fire.ts, dynamic-bias.ts.
 * Parameters: `layers` (weight [out × in] row-major, bias [out]); `activation`.
 * Config keys: none.
 * Differences: none. Batched over N scalars; outputs [N, H] row-major. Gradients are fresh arrays.
 */
import { checkInt, checkLength } from "./check.js";
import { invalid } from "./errors.js";
import { Rng } from "./random.js";

export type MlpActivation = "relu" | "silu";

export interface MlpLayer {
  /** [outDim × inDim] row-major (PyTorch nn.Linear layout). */
  weight: Float64Array;
  /** [outDim]. */
  bias: Float64Array;
  inDim: number;
  outDim: number;
}

export interface MlpLayerGrad {
  dWeight: Float64Array;
  dBias: Float64Array;
}

/** Checks the chain 1 → … → out of layer shapes; returns the output size. */
export function checkMlp(layers: readonly MlpLayer[], name: string): number {
  if (layers.length < 2) throw invalid(`\`${name}\` must have at least 2 layers (input → hidden → output), got ${layers.length}`);
  let dim = 1;
  layers.forEach((l, i) => {
    if (l.inDim !== dim) throw invalid(`\`${name}[${i}].inDim\` must be ${dim}, got ${l.inDim}`);
    checkInt(`${name}[${i}].outDim`, l.outDim);
    checkLength(`${name}[${i}].weight`, l.weight, l.outDim * l.inDim, `[${l.outDim}, ${l.inDim}]`);
    checkLength(`${name}[${i}].bias`, l.bias, l.outDim, `[${l.outDim}]`);
    dim = l.outDim;
  });
  return dim;
}

/**
 * PyTorch's default nn.Linear init, seeded: weight and bias ~ U(−1/√in, 1/√in). Sizes e.g. [1, 32, H].
 *
 * Example: `mlpInit([1, 32, 8], 0)` → 2 layers (1→32, 32→8)
 */
export function mlpInit(sizes: readonly number[], seed: number | Rng): MlpLayer[] {
  const rng = typeof seed === "number" ? new Rng(seed) : seed;
  const layers: MlpLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const inDim = checkInt(`sizes[${i}]`, sizes[i]);
    const outDim = checkInt(`sizes[${i + 1}]`, sizes[i + 1]);
    const bound = 1 / Math.sqrt(inDim);
    const u = (n: number) => Float64Array.from({ length: n }, () => (2 * rng.float() - 1) * bound);
    layers.push({ weight: u(outDim * inDim), bias: u(outDim), inDim, outDim });
  }
  return layers;
}

function act(a: MlpActivation, z: number): number {
  return a === "relu" ? (z > 0 ? z : 0) : z / (1 + Math.exp(-z));
}

function actGrad(a: MlpActivation, z: number): number {
  if (a === "relu") return z > 0 ? 1 : 0;
  const s = 1 / (1 + Math.exp(-z));
  return s * (1 + z * (1 - s));
}

/** Pre-activations of every layer for every input: what the backward needs. */
export interface MlpTape {
  pre: Float64Array[];
}

/**
 * y [N, H] for N scalar inputs x; also returns the tape for the backward.
 *
 * Example: `scalarMlpForward(mlpInit([1, 4, 2], 0), "relu", Float64Array.of(0.5)).out` → 2 values
 */
export function scalarMlpForward(layers: readonly MlpLayer[], activation: MlpActivation, x: ArrayLike<number>): { out: Float64Array; tape: MlpTape } {
  checkMlp(layers, "layers");
  const n = x.length;
  let h = Float64Array.from(x);
  const pre: Float64Array[] = [];
  layers.forEach((l, li) => {
    const z = new Float64Array(n * l.outDim);
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < l.outDim; o++) {
        let acc = l.bias[o]!;
        for (let i = 0; i < l.inDim; i++) acc += l.weight[o * l.inDim + i]! * h[s * l.inDim + i]!;
        z[s * l.outDim + o] = acc;
      }
    }
    pre.push(z);
    h = li === layers.length - 1 ? z : z.map((v) => act(activation, v));
  });
  return { out: h, tape: { pre } };
}

/**
 * The same outputs as `scalarMlpForward(...).out`, bit for bit (same operations in the same order),
 * without the tape: one sample at a time through two reused buffers — for forward-only use (long
 * evaluation windows, where a tape of N × width pre-activations would not fit).
 */
export function scalarMlpEval(layers: readonly MlpLayer[], activation: MlpActivation, x: ArrayLike<number>): Float64Array {
  checkMlp(layers, "layers");
  const n = x.length;
  const last = layers[layers.length - 1]!;
  const out = new Float64Array(n * last.outDim);
  const width = Math.max(...layers.map((l) => Math.max(l.inDim, l.outDim)));
  let h = new Float64Array(width), z = new Float64Array(width);
  for (let s = 0; s < n; s++) {
    h[0] = x[s]!;
    for (let li = 0; li < layers.length; li++) {
      const l = layers[li]!;
      const isLast = li === layers.length - 1;
      for (let o = 0; o < l.outDim; o++) {
        let acc = l.bias[o]!;
        for (let i = 0; i < l.inDim; i++) acc += l.weight[o * l.inDim + i]! * h[i]!;
        if (isLast) out[s * l.outDim + o] = acc;
        else z[o] = act(activation, acc);
      }
      const t = h;
      h = z;
      z = t;
    }
  }
  return out;
}

/** A one-hidden-layer ReLU MLP of a scalar, as linear pieces: on piece s (breaks[s−1] ≤ u < breaks[s]) out = a[s]·u + b[s]. */
export interface ReluMlpPieces {
  /** Sorted distinct breakpoints −bias_k/weight_k of the hidden units. */
  breaks: Float64Array;
  /** [pieces × H] slopes and intercepts. */
  a: Float64Array;
  b: Float64Array;
  outDim: number;
}

/**
 * A 1 → W → H MLP with ReLU is piecewise linear in its scalar input: between consecutive breakpoints
 * −b_k/w_k the set of active hidden units is fixed, so out = A·u + B there. Built once per parameter
 * set; evaluating is a binary search and H multiply-adds instead of W·(H+1) — for FIRE's dense bias at
 * long evaluation lengths. Equal to the direct evaluation up to float64 rounding (another summation order).
 */
export function reluMlpPieces(layers: readonly MlpLayer[]): ReluMlpPieces {
  checkMlp(layers, "layers");
  if (layers.length !== 2) throw invalid(`reluMlpPieces needs exactly 2 layers (1 → W → H), got ${layers.length}`);
  const [l1, l2] = layers as [MlpLayer, MlpLayer];
  const W = l1.outDim, H = l2.outDim;
  const cuts = new Set<number>();
  for (let k = 0; k < W; k++) if (l1.weight[k] !== 0) cuts.add(-l1.bias[k]! / l1.weight[k]!);
  const breaks = Float64Array.from([...cuts].sort((x, y) => x - y));
  const pieces = breaks.length + 1;
  const a = new Float64Array(pieces * H), b = new Float64Array(pieces * H);
  for (let s = 0; s < pieces; s++) {
    // a point strictly inside piece s decides which hidden units are active there
    const u = breaks.length === 0 ? 0 : s === 0 ? breaks[0]! - 1 : s === breaks.length ? breaks[s - 1]! + 1 : (breaks[s - 1]! + breaks[s]!) / 2;
    for (let h = 0; h < H; h++) {
      let slope = 0, icpt = l2.bias[h]!;
      for (let k = 0; k < W; k++) {
        if (l1.weight[k]! * u + l1.bias[k]! <= 0) continue;
        slope += l2.weight[h * W + k]! * l1.weight[k]!;
        icpt += l2.weight[h * W + k]! * l1.bias[k]!;
      }
      a[s * H + h] = slope;
      b[s * H + h] = icpt;
    }
  }
  return { breaks, a, b, outDim: H };
}

/** out [N, H] of the pieces at the inputs x (same layout as scalarMlpForward's `out`). */
export function evalReluMlpPieces(pw: ReluMlpPieces, x: ArrayLike<number>): Float64Array {
  const H = pw.outDim, n = x.length, br = pw.breaks;
  const out = new Float64Array(n * H);
  for (let e = 0; e < n; e++) {
    const u = x[e]!;
    let lo = 0, hi = br.length; // piece = number of breakpoints ≤ u
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (br[mid]! <= u) lo = mid + 1;
      else hi = mid;
    }
    const o = lo * H;
    for (let h = 0; h < H; h++) out[e * H + h] = pw.a[o + h]! * u + pw.b[o + h]!;
  }
  return out;
}

/** Backward: gradients of every layer and of the inputs from dOut [N, H]. */
export function scalarMlpBackward(dOut: ArrayLike<number>, layers: readonly MlpLayer[], activation: MlpActivation, x: ArrayLike<number>, tape: MlpTape): { dLayers: MlpLayerGrad[]; dX: Float64Array } {
  const n = x.length;
  const last = layers.length - 1;
  checkLength("dOut", dOut, n * layers[last]!.outDim, "[N, H]");
  let dZ = Float64Array.from(dOut);
  const dLayers: MlpLayerGrad[] = new Array(layers.length);
  for (let li = last; li >= 0; li--) {
    const l = layers[li]!;
    const input = li === 0 ? Float64Array.from(x) : tape.pre[li - 1]!.map((v) => act(activation, v));
    const dW = new Float64Array(l.outDim * l.inDim);
    const dB = new Float64Array(l.outDim);
    const dIn = new Float64Array(n * l.inDim);
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < l.outDim; o++) {
        const g = dZ[s * l.outDim + o]!;
        if (g === 0) continue;
        dB[o]! += g;
        for (let i = 0; i < l.inDim; i++) {
          dW[o * l.inDim + i]! += g * input[s * l.inDim + i]!;
          dIn[s * l.inDim + i]! += g * l.weight[o * l.inDim + i]!;
        }
      }
    }
    dLayers[li] = { dWeight: dW, dBias: dB };
    if (li > 0) {
      const z = tape.pre[li - 1]!;
      dZ = dIn.map((g, e) => g * actGrad(activation, z[e]!));
    } else {
      return { dLayers, dX: dIn };
    }
  }
  throw invalid("unreachable: MLP without layers");
}
