/**
 * Float64 reference of the LSTM (PyTorch nn.LSTM semantics, gate order i, f, g, o), used only by
 * tests: the cell's element-wise part (what the kernels compute) and a whole layer over a sequence
 * with BPTT (what the model builds from matmuls + cell kernels), checked against PyTorch in
 * lstm.test.ts with test/fixtures/lstm/lstm.json.
 * Layout: time-major x [T, B, I], out [T, B, H]; weightIh [4H, I], weightHh [4H, H], biases [4H].
 */

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export interface LstmCellForwardRef { h: Float64Array; c: Float64Array; gates: Float64Array }

/** a = (preIh + biasIh) + (preHh + biasHh); gates = [σ(a_i), σ(a_f), tanh(a_g), σ(a_o)]; c = f·cPrev + i·g; h = o·tanh(c). */
export function lstmCellForwardRef(
  preIh: ArrayLike<number>, preHh: ArrayLike<number> | null, cPrev: ArrayLike<number> | null,
  biasIh: ArrayLike<number> | null, biasHh: ArrayLike<number> | null, B: number, H: number,
): LstmCellForwardRef {
  const h = new Float64Array(B * H), c = new Float64Array(B * H), gates = new Float64Array(B * 4 * H);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < 4 * H; k++) {
      const a = preIh[b * 4 * H + k]! + (biasIh?.[k] ?? 0) + (preHh?.[b * 4 * H + k] ?? 0) + (biasHh?.[k] ?? 0);
      gates[b * 4 * H + k] = k >= 2 * H && k < 3 * H ? Math.tanh(a) : sigmoid(a);
    }
    for (let j = 0; j < H; j++) {
      const g = (q: number) => gates[b * 4 * H + q * H + j]!;
      c[b * H + j] = g(1) * (cPrev?.[b * H + j] ?? 0) + g(0) * g(2);
      h[b * H + j] = g(3) * Math.tanh(c[b * H + j]!);
    }
  }
  return { h, c, gates };
}

/** Gradients of the cell w.r.t. its pre-activations [B, 4H] and cPrev [B, H], given dh and dc (total). */
export function lstmCellBackwardRef(
  dh: ArrayLike<number>, dc: ArrayLike<number> | null, gates: ArrayLike<number>, c: ArrayLike<number>, cPrev: ArrayLike<number> | null, B: number, H: number,
): { dPre: Float64Array; dcPrev: Float64Array } {
  const dPre = new Float64Array(B * 4 * H), dcPrev = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const [i, f, g, o] = [0, 1, 2, 3].map((q) => gates[b * 4 * H + q * H + j]!) as [number, number, number, number];
      const tc = Math.tanh(c[b * H + j]!);
      const dhv = dh[b * H + j]!;
      const dct = (dc?.[b * H + j] ?? 0) + dhv * o * (1 - tc * tc);
      dPre[b * 4 * H + j] = dct * g * i * (1 - i);
      dPre[b * 4 * H + H + j] = dct * (cPrev?.[b * H + j] ?? 0) * f * (1 - f);
      dPre[b * 4 * H + 2 * H + j] = dct * i * (1 - g * g);
      dPre[b * 4 * H + 3 * H + j] = dhv * tc * o * (1 - o);
      dcPrev[b * H + j] = dct * f;
    }
  }
  return { dPre, dcPrev };
}

export interface LstmWeights { weightIh: ArrayLike<number>; weightHh: ArrayLike<number>; biasIh: ArrayLike<number>; biasHh: ArrayLike<number> }
export interface LstmSizes { T: number; B: number; I: number; H: number }

/** y [rows, out] = x [rows, inn] · Wᵀ, W [out, inn] (float64). */
export function matmulTransposedRef(x: ArrayLike<number>, w: ArrayLike<number>, rows: number, inn: number, out: number): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) {
    let s = 0;
    for (let k = 0; k < inn; k++) s += x[r * inn + k]! * w[o * inn + k]!;
    y[r * out + o] = s;
  }
  return y;
}

export interface LstmLayerForwardRef { out: Float64Array; hT: Float64Array; cT: Float64Array; gates: Float64Array[]; cs: Float64Array[]; hs: Float64Array[] }

/** One layer over the sequence; hs[t]/cs[t] are the states after step t, hs[-1] = h0 kept as hs0. */
export function lstmLayerForwardRef(x: ArrayLike<number>, w: LstmWeights, h0: ArrayLike<number>, c0: ArrayLike<number>, s: LstmSizes): LstmLayerForwardRef {
  const { T, B, I, H } = s;
  const out = new Float64Array(T * B * H);
  const gates: Float64Array[] = [], cs: Float64Array[] = [], hs: Float64Array[] = [];
  let h: Float64Array = Float64Array.from(h0), c: Float64Array = Float64Array.from(c0);
  for (let t = 0; t < T; t++) {
    const preIh = matmulTransposedRef(Array.prototype.slice.call(x, t * B * I, (t + 1) * B * I), w.weightIh, B, I, 4 * H);
    const preHh = matmulTransposedRef(h, w.weightHh, B, H, 4 * H);
    const step = lstmCellForwardRef(preIh, preHh, c, w.biasIh, w.biasHh, B, H);
    gates.push(step.gates); cs.push(step.c); hs.push(step.h);
    out.set(step.h, t * B * H);
    h = step.h; c = step.c;
  }
  return { out, hT: h, cT: c, gates, cs, hs };
}

export interface LstmLayerGrads { dx: Float64Array; dWeightIh: Float64Array; dWeightHh: Float64Array; dBiasIh: Float64Array; dBiasHh: Float64Array; dh0: Float64Array; dc0: Float64Array }

/** BPTT for Σ dOut·out + Σ dhT·hT + Σ dcT·cT (fresh gradient arrays). */
export function lstmLayerBackwardRef(
  dOut: ArrayLike<number>, dhT: ArrayLike<number>, dcT: ArrayLike<number>, x: ArrayLike<number>, w: LstmWeights,
  h0: ArrayLike<number>, c0: ArrayLike<number>, fwd: LstmLayerForwardRef, s: LstmSizes,
): LstmLayerGrads {
  const { T, B, I, H } = s;
  const g: LstmLayerGrads = {
    dx: new Float64Array(T * B * I), dWeightIh: new Float64Array(4 * H * I), dWeightHh: new Float64Array(4 * H * H),
    dBiasIh: new Float64Array(4 * H), dBiasHh: new Float64Array(4 * H), dh0: new Float64Array(B * H), dc0: new Float64Array(B * H),
  };
  let dhNext: Float64Array = Float64Array.from(dhT), dcNext: Float64Array = Float64Array.from(dcT);
  for (let t = T - 1; t >= 0; t--) {
    const dh = dhNext.map((v, i) => v + dOut[t * B * H + i]!);
    const hPrev = t > 0 ? fwd.hs[t - 1]! : h0;
    const cPrev = t > 0 ? fwd.cs[t - 1]! : c0;
    const { dPre, dcPrev } = lstmCellBackwardRef(dh, dcNext, fwd.gates[t]!, fwd.cs[t]!, cPrev, B, H);
    for (let b = 0; b < B; b++) for (let k = 0; k < 4 * H; k++) {
      const d = dPre[b * 4 * H + k]!;
      g.dBiasIh[k]! += d;
      g.dBiasHh[k]! += d;
      for (let q = 0; q < I; q++) { g.dWeightIh[k * I + q]! += d * x[(t * B + b) * I + q]!; g.dx[(t * B + b) * I + q]! += d * w.weightIh[k * I + q]!; }
      for (let q = 0; q < H; q++) g.dWeightHh[k * H + q]! += d * hPrev[b * H + q]!;
    }
    dhNext = matmulTransposedRef(dPre, transpose(w.weightHh, 4 * H, H), B, 4 * H, H);
    dcNext = dcPrev;
  }
  g.dh0.set(dhNext);
  g.dc0.set(dcNext);
  return g;
}

function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}
