/**
 * From a token stream x_0 … x_{N−1} to model inputs and next-token targets.
 *
 * Training ({@link RandomWindowSampler}): each row of a batch is a window of T+1 consecutive tokens
 * starting at s, drawn uniformly from 0 … N−T−1 with the seeded `Rng` (xoshiro128**); the row feeds
 * x[s : s+T] and predicts x[s+1 : s+T+1]. Draws are with replacement, row after row. The sampler's
 * state is three numbers of JSON, so a resumed run draws exactly the windows the killed run would have.
 *
 * Evaluation, two conventions; a window is `{start, scoreFrom}`: it feeds x[start : start+L],
 * predicts x[start+1 : start+L+1], and only the predictions at window positions scoreFrom … L−1 are
 * scored (counted in the loss).
 * - {@link nonOverlappingWindows} (Press et al. 2022): starts 0, L, 2L, …; every prediction scored
 *   (scoreFrom = 0); a final incomplete window is dropped, so there are ⌊(N−1)/L⌋ windows and
 *   ⌊(N−1)/L⌋·L scored tokens. Tokens early in a window see little context.
 * - {@link slidingWindows} with stride S, 1 ≤ S ≤ L (the "sliding window" perplexity of Press et al.
 *   2022 with S = 1, and of the Position Interpolation and YaRN papers with S = 256): starts 0, S,
 *   2S, … while the window is complete (start + L ≤ N−1). The first window scores all L predictions;
 *   every later one scores only its last S (scoreFrom = L−S), the tokens no earlier window predicted.
 *   Every target x_1 … x_M is scored exactly once, with at least L−S tokens of context after the first
 *   window; targets after the last complete window are not scored (as the non-overlapping rule
 *   drops its tail). S = L gives exactly the non-overlapping windows.
 *
 * Example:
 *   const s = new RandomWindowSampler(tokens, 64, 1234);
 *   const { x, y } = s.next(8); // x, y: Int32Array(8·64), row-major [B, T]
 *   for (const w of nonOverlappingWindows(tokens.length, 128)) { … tokens.subarray(w.start, w.start + 129) … }
 */
import { ExtraposError, invalid, show } from "../pe/errors.js";
import { Rng } from "../pe/random.js";

export interface TokenBatch {
  /** Inputs, row-major [B, T]. */
  x: Int32Array;
  /** Next-token targets, row-major [B, T]: y[b, t] = x[b, t+1] of the same underlying window. */
  y: Int32Array;
  B: number;
  T: number;
}

/** JSON-serialisable sampler state (Rng words; `null` stands for the Rng's "no spare gaussian"). */
export interface RandomWindowState {
  seqLen: number;
  rng: (number | null)[];
  /** Windows drawn so far (for logs and sanity checks on resume). */
  drawn: number;
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw invalid(`\`${name}\` must be a positive integer, got ${show(v)}`);
}

function checkLength(nTokens: number, seqLen: number, what: string): void {
  if (nTokens < seqLen + 1) {
    throw new ExtraposError("invalid_argument", `${what} has ${nTokens} tokens, fewer than seq_len + 1 = ${seqLen + 1}`, "use more text or a shorter --seq-len");
  }
}

export class RandomWindowSampler {
  private rng: Rng;
  private drawn = 0;

  constructor(private readonly tokens: Int32Array, readonly seqLen: number, seed: number) {
    checkPositiveInt("seq_len", seqLen);
    checkLength(tokens.length, seqLen, "the training text");
    this.rng = new Rng(seed);
  }

  /** Start of the next window, uniform in [0, N−T−1]. */
  nextStart(): number {
    this.drawn++;
    return this.rng.int(this.tokens.length - this.seqLen);
  }

  /** The next B windows; `out` (if given, sized B·T) is filled instead of allocating. */
  next(B: number, out?: { x: Int32Array; y: Int32Array }): TokenBatch {
    checkPositiveInt("batch", B);
    const T = this.seqLen;
    const x = out?.x ?? new Int32Array(B * T);
    const y = out?.y ?? new Int32Array(B * T);
    if (x.length !== B * T || y.length !== B * T) throw new ExtraposError("shape_mismatch", `batch buffers must hold B·T = ${B * T} tokens, got x ${x.length}, y ${y.length}`);
    for (let b = 0; b < B; b++) {
      const s = this.nextStart();
      x.set(this.tokens.subarray(s, s + T), b * T);
      y.set(this.tokens.subarray(s + 1, s + T + 1), b * T);
    }
    return { x, y, B, T };
  }

  state(): RandomWindowState {
    return { seqLen: this.seqLen, rng: this.rng.state(), drawn: this.drawn };
  }

  /** A sampler that continues exactly where `state` was taken (same tokens required). */
  static restore(tokens: Int32Array, state: RandomWindowState): RandomWindowSampler {
    if (!Array.isArray(state.rng) || state.rng.length !== 5 || !state.rng.slice(0, 4).every((v) => Number.isInteger(v) && v! >= 0 && v! < 2 ** 32)) {
      throw new ExtraposError("corrupt_file", `sampler state \`rng\` must be 4 uint32 words and a spare, got ${show(state.rng)}`);
    }
    const s = new RandomWindowSampler(tokens, state.seqLen, 0);
    s.rng = Rng.fromState(state.rng);
    s.drawn = state.drawn;
    return s;
  }
}

export interface EvalWindow {
  /** First input token: the window feeds x[start : start+L]. */
  start: number;
  /** First scored window position: predictions at positions scoreFrom … L−1 count. */
  scoreFrom: number;
}

/**
 * Windows at 0, L, 2L, …, all positions scored; the final incomplete window dropped.
 *
 * Example: `nonOverlappingWindows(10, 4)` → [{start: 0, scoreFrom: 0}, {start: 4, scoreFrom: 0}]
 */
export function nonOverlappingWindows(nTokens: number, L: number): EvalWindow[] {
  return slidingWindows(nTokens, L, L);
}

/**
 * Windows at 0, S, 2S, …; the first scores all L predictions, the others their last S.
 *
 * Example: `slidingWindows(10, 4, 2)` → starts 0, 2, 4 with scoreFrom 0, 2, 2 (targets 1…8 once each)
 */
export function slidingWindows(nTokens: number, L: number, stride: number): EvalWindow[] {
  checkPositiveInt("length", L);
  checkPositiveInt("stride", stride);
  if (stride > L) throw invalid(`\`stride\` must be ≤ the window length ${L}, got ${stride}`);
  if (!Number.isInteger(nTokens) || nTokens < 0) throw invalid(`\`nTokens\` must be a non-negative integer, got ${show(nTokens)}`);
  const out: EvalWindow[] = [];
  for (let start = 0; start + L <= nTokens - 1; start += stride) out.push({ start, scoreFrom: start === 0 ? 0 : L - stride });
  return out;
}

/** Number of scored targets over a list of windows of length L. */
export function scoredTokens(windows: readonly EvalWindow[], L: number): number {
  let n = 0;
  for (const w of windows) n += L - w.scoreFrom;
  return n;
}

/**
 * Copies window `w` of length L into `x` (inputs) and `y` (targets), both of length ≥ L.
 *
 * Example: `fillWindow(tokens, { start: 128, scoreFrom: 0 }, 128, x, y)`
 */
export function fillWindow(tokens: Int32Array, w: EvalWindow, L: number, x: Int32Array, y: Int32Array): void {
  if (w.start < 0 || w.start + L + 1 > tokens.length) {
    throw new ExtraposError("shape_mismatch", `window start ${w.start} + length ${L} + 1 exceeds the ${tokens.length} tokens`);
  }
  x.set(tokens.subarray(w.start, w.start + L));
  y.set(tokens.subarray(w.start + 1, w.start + L + 1));
}
