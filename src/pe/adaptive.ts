/**
 * The seed's length-adaptive periodic encoding, made precise.
 *
 * Formula: seed (§4): PE_pos = sin(pos/L · 2π/f), cos(pos/L · 2π/f), "f adjusted to the sequence length".
 *   Ours: for pairs i = 0..K−1 (K = d/2), f_i = (m/L)^(i/(K−1)) with m = min(minPeriod, L) (f_0 = 1 when K = 1),
 *   angle_i(pos) = 2π · pos/(L · f_i), PE[pos] = sin/cos(angle_i) in the `interleaved` or `concat` layout.
 *   The period of pair i is P_i = L·f_i tokens: P_0 = L (the slowest pair turns exactly once over the
 *   normalising length, so positions 0..L−1 are all distinct) and P_{K−1} = m tokens (the fastest pair moves
 *   2π/m per token: adjacent positions differ by a quarter turn at the default m = 4, and m > 2 keeps it below
 *   the Nyquist limit of half a turn, so direction is never ambiguous); periods are geometric in between.
 *   What L is (`length`): `sequence` (the seed): L = the current sequence length T, at training and evaluation;
 *   `fixed`: L = the training length at all times; `window`: L = W and positions are taken relative to a window
 *   of W tokens ending at the last token (pos − max(0, T − W)), older tokens get negative positions.
 * Paper: the seed document (000_c1ba6aca7749ea8f, §3–§4); no published paper.
 * Reference: none (the seed gives only the equation); sin/cos layouts as src/pe/sinusoidal.ts.
 * Models: the seed's model (`pe: "adaptive"`).
 * Parameters: `dim` d (even, ≥ 2); `minPeriod` m in tokens (default 4, must be > 2); `layout` (default
 *   "interleaved", as the seed's sinusoidal code); `length` (default { kind: "sequence" }).
 * Config keys: `pe: {kind: "adaptive", length_mode, length, window, min_period}` (ADAPTIVE_SPEC below; interleaved).
 * Differences: the seed leaves L and f open; the choices above are ours and documented in docs/encodings.md.
 */
import { defineEncoding } from "./spec.js";
import { checkChoice, checkInt, checkKeys, checkPositions } from "./check.js";
import { invalid, show } from "./errors.js";
import { SINUSOIDAL_LAYOUTS, sinusoidalColumn, type SinusoidalLayout } from "./sinusoidal.js";

/** What the normalising length L is. */
export type AdaptiveLength =
  /** L = the current sequence length T (the seed's reading; at training and evaluation). */
  | { kind: "sequence" }
  /** L = a fixed length (the training length) at all times; positions beyond it wrap the slowest pair. */
  | { kind: "fixed"; length: number }
  /** L = W; positions relative to the window of W tokens that ends at the last token. */
  | { kind: "window"; window: number };

export interface AdaptiveOptions {
  /** Model dimension d (even), e.g. 256. */
  dim: number;
  /** Period of the fastest pair in tokens (> 2), default 4. */
  minPeriod?: number;
  /** Column order, as sinusoidal: `interleaved` (default) or `concat`. */
  layout?: SinusoidalLayout;
  /** What L is; default `{ kind: "sequence" }`. */
  length?: AdaptiveLength;
}

export const DEFAULT_ADAPTIVE = { minPeriod: 4, layout: "interleaved", length: { kind: "sequence" } } as const;

/**
 * The seed's f_i (period of pair i as a fraction of L) for K = dim/2 pairs.
 *
 * Example: `adaptiveFractions(8, 64)` → [1, 0.397, 0.157, 0.0625] (periods 64, 25.4, 10.1, 4 tokens)
 */
export function adaptiveFractions(dim: number, L: number, minPeriod: number = DEFAULT_ADAPTIVE.minPeriod): Float64Array {
  checkEvenDim(dim);
  if (!(Number.isFinite(L) && L >= 1)) throw invalid(`\`length\` must be a finite number ≥ 1, got ${show(L)}`);
  if (!(Number.isFinite(minPeriod) && minPeriod > 2)) throw invalid(`\`minPeriod\` must be a finite number > 2, got ${show(minPeriod)}`);
  const k = dim / 2;
  const ratio = Math.min(minPeriod, L) / L;
  const f = new Float64Array(k);
  for (let i = 0; i < k; i++) f[i] = k === 1 ? 1 : Math.pow(ratio, i / (k - 1));
  return f;
}

/**
 * Positions and L used for a sequence of `seqLen` tokens (token t = 0..T−1) under a length mode.
 *
 * Example: `adaptivePositions(6, { kind: "window", window: 4 })` → { positions: [-2,-1,0,1,2,3], L: 4 }
 */
export function adaptivePositions(seqLen: number, length: AdaptiveLength = DEFAULT_ADAPTIVE.length): { positions: Float64Array; L: number } {
  const t = checkInt("seqLen", seqLen);
  const positions = new Float64Array(t);
  switch (length.kind) {
    case "sequence":
      checkKeys("adaptive length", length, ["kind"]);
      for (let i = 0; i < t; i++) positions[i] = i;
      return { positions, L: t };
    case "fixed": {
      checkKeys("adaptive length", length, ["kind", "length"]);
      const L = checkInt("length", length.length);
      for (let i = 0; i < t; i++) positions[i] = i;
      return { positions, L };
    }
    case "window": {
      checkKeys("adaptive length", length, ["kind", "window"]);
      const w = checkInt("window", length.window);
      const start = Math.max(0, t - w);
      for (let i = 0; i < t; i++) positions[i] = i - start;
      return { positions, L: w };
    }
    default:
      throw invalid(`\`length.kind\` must be one of "sequence", "fixed", "window", got ${show((length as { kind: unknown }).kind)}`);
  }
}

/**
 * Table [positions.length × dim] for explicit positions and normalising length L (the building block).
 *
 * Example: `adaptiveTableAt([0, 16], 32, { dim: 2 })` → [0, 1, sin π ≈ 0, −1]
 */
export function adaptiveTableAt(positions: ArrayLike<number>, L: number, opts: AdaptiveOptions): Float64Array {
  checkKeys("adaptive options", opts, ["dim", "minPeriod", "layout", "length"]);
  const pos = checkPositions("positions", positions);
  const dim = checkEvenDim(opts.dim);
  const layout = checkChoice("layout", opts.layout ?? DEFAULT_ADAPTIVE.layout, SINUSOIDAL_LAYOUTS);
  const f = adaptiveFractions(dim, L, opts.minPeriod ?? DEFAULT_ADAPTIVE.minPeriod);
  const k = f.length;
  const out = new Float64Array(pos.length * dim);
  for (let r = 0; r < pos.length; r++) {
    for (let i = 0; i < k; i++) {
      const angle = ((pos[r]! / L) * 2 * Math.PI) / f[i]!;
      out[r * dim + sinusoidalColumn(layout, "sin", i, k)] = Math.sin(angle);
      out[r * dim + sinusoidalColumn(layout, "cos", i, k)] = Math.cos(angle);
    }
  }
  return out;
}

/**
 * Table [seqLen × dim] for a whole sequence of `seqLen` tokens under the options' length mode.
 *
 * Example: `adaptiveTable(128, { dim: 64 })` (L = 128: the seed's reading)
 */
export function adaptiveTable(seqLen: number, opts: AdaptiveOptions): Float64Array {
  const { positions, L } = adaptivePositions(seqLen, opts.length ?? DEFAULT_ADAPTIVE.length);
  return adaptiveTableAt(positions, L, opts);
}

function checkEvenDim(dim: number): number {
  checkInt("dim", dim, 2);
  if (dim % 2 !== 0) throw invalid(`\`dim\` must be even for the adaptive encoding (sin/cos pairs), got ${dim}`);
  return dim;
}

/** The registry entry (spec.ts): every length mode, interleaved layout (the LSTM takes the `sequence` mode only). */
export const ADAPTIVE_SPEC = defineEncoding({
  name: "adaptive", aliases: {}, family: "absolute",
  summary: "the seed's length-adaptive periodic encoding",
  paper: "the seed document (§3–§4)", reference: "the seed document's PositionalEncoding module", usedBy: "the seed's model",
  models: ["transformer", "lstm"], randomized: false,
  params: {
    length_mode: { type: "choice", choices: ["sequence", "fixed", "window"], default: "sequence", help: "what L is: the current sequence length, a fixed length, or a sliding window" },
    length: { type: "int", default: null, min: 1, derive: { rule: "context_length", value: (d) => d.contextLength }, help: "L of length_mode fixed" },
    window: { type: "int", default: null, min: 1, derive: { rule: "context_length", value: (d) => d.contextLength }, help: "W of length_mode window (positions relative to the last W tokens)" },
    min_period: { type: "number", default: DEFAULT_ADAPTIVE.minPeriod, above: 2, help: "period of the fastest pair in tokens" },
  },
  validate: (_p, d) => (d.dModel % 2 !== 0 ? `\`d_model\` must be even for pe "adaptive" (sin/cos pairs), got ${d.dModel}` : null),
});

/** The `AdaptiveLength` of a resolved config's mode. */
export function adaptiveLengthOf(p: { lengthMode: "sequence" | "fixed" | "window"; length: number; window: number }): AdaptiveLength {
  return p.lengthMode === "fixed" ? { kind: "fixed", length: p.length } : p.lengthMode === "window" ? { kind: "window", window: p.window } : { kind: "sequence" };
}
