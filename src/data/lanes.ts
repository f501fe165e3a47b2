/**
 * Contiguous lanes (Transformer-XL's `LMOrderedIterator`, kimiyoung/transformer-xl pytorch/data_utils.py):
 * the token stream x_0 … x_{N−1} is cut into B lanes of n = ⌊N/B⌋ tokens (lane b = x[b·n : (b+1)·n], the
 * tail dropped, as `data.narrow(0, 0, n_step * bsz).view(bsz, -1)`), and consecutive batches take
 * consecutive segments of every lane: batch k feeds lane[k·T : k·T+T] and predicts lane[k·T+1 : k·T+T+1]
 * in each row, so row b of batch k+1 continues row b of batch k and a model's segment memory carries over.
 * An epoch has ⌊(n−1)/T⌋ segments (the reference's last, shorter segment is dropped: every batch has T
 * columns); then the lanes start again and the first batch does not continue (`continues` false: the
 * reference's train() starts each epoch with empty mems).
 *
 * Training ({@link LaneSampler}): resumable from its state `{seqLen, lanes, drawn, rng: []}` (no randomness).
 * Validation ({@link laneWindows}): the first k segments of each lane of the valid split.
 *
 * Example:
 *   const s = new LaneSampler(tokens, 64, 8);
 *   const { x, y, continues } = s.next(8);   // rows = the 8 lanes' segment 0; continues false
 *   s.next(8).continues;                      // true: segment 1 of the same lanes
 */
import { ExtraposError, invalid, show } from "../pe/errors.js";
import type { TokenBatch } from "./batches.js";

/** The resumable state: segments drawn so far (the epoch position is drawn mod segments per epoch). */
export interface LaneState {
  seqLen: number;
  lanes: number;
  drawn: number;
  /** Always [] (no randomness); present so that the state has the random sampler's fields. */
  rng: (number | null)[];
}

/** Segments per epoch of B lanes of T-token segments over N tokens: ⌊(⌊N/B⌋ − 1)/T⌋. */
export function laneSegments(nTokens: number, lanes: number, T: number): number {
  return Math.floor((Math.floor(nTokens / lanes) - 1) / T);
}

/** Refuses a stream too short for one segment of T + 1 tokens in each of B lanes. */
export function checkLanes(nTokens: number, lanes: number, T: number, what: string): void {
  if (laneSegments(nTokens, lanes, T) < 1) {
    throw new ExtraposError("invalid_argument", `${what} has ${nTokens} tokens: ${lanes} contiguous lanes of ⌊${nTokens}/${lanes}⌋ = ${Math.floor(nTokens / lanes)} tokens hold no segment of seq_len + 1 = ${T + 1}`,
      "segment memory (mem_len > 0) reads the text as batch lanes: use more text, a smaller --batch or a shorter --seq-len");
  }
}

export class LaneSampler {
  private drawn = 0;
  private readonly laneLen: number;
  private readonly perEpoch: number;

  constructor(private readonly tokens: Int32Array, readonly seqLen: number, readonly lanes: number) {
    for (const [n, v] of [["seq_len", seqLen], ["lanes", lanes]] as const) if (!Number.isInteger(v) || v < 1) throw invalid(`\`${n}\` must be a positive integer, got ${show(v)}`);
    checkLanes(tokens.length, lanes, seqLen, "the training text");
    this.laneLen = Math.floor(tokens.length / lanes);
    this.perEpoch = laneSegments(tokens.length, lanes, seqLen);
  }

  /** The next segment of every lane; `continues` false at the start of each epoch. */
  next(B: number, out?: { x: Int32Array; y: Int32Array }): TokenBatch & { continues: boolean } {
    if (B !== this.lanes) throw new ExtraposError("invalid_argument", `the lane sampler has ${this.lanes} lanes; a batch of ${B} rows was asked for`);
    const T = this.seqLen;
    const x = out?.x ?? new Int32Array(B * T), y = out?.y ?? new Int32Array(B * T);
    if (x.length !== B * T || y.length !== B * T) throw new ExtraposError("shape_mismatch", `batch buffers must hold B·T = ${B * T} tokens, got x ${x.length}, y ${y.length}`);
    const k = this.drawn % this.perEpoch;
    for (let b = 0; b < B; b++) {
      const s = b * this.laneLen + k * T;
      x.set(this.tokens.subarray(s, s + T), b * T);
      y.set(this.tokens.subarray(s + 1, s + T + 1), b * T);
    }
    this.drawn++;
    return { x, y, B, T, continues: k > 0 };
  }

  /** Whether the last batch continued the one before (false before the first). */
  continues(): boolean {
    return this.drawn > 0 && (this.drawn - 1) % this.perEpoch > 0;
  }

  state(): LaneState {
    return { seqLen: this.seqLen, lanes: this.lanes, drawn: this.drawn, rng: [] };
  }

  static restore(tokens: Int32Array, state: LaneState): LaneSampler {
    if (!Number.isInteger(state.drawn) || state.drawn < 0) throw new ExtraposError("corrupt_file", `lane sampler state \`drawn\` must be an integer ≥ 0, got ${show(state.drawn)}`);
    const s = new LaneSampler(tokens, state.seqLen, state.lanes);
    s.drawn = state.drawn;
    return s;
  }
}

/** Validation/evaluation lanes: row b of segment k starts at b·⌊N/B⌋ + k·T, for k < `segments` (≤ what fits). */
export function laneWindows(nTokens: number, lanes: number, T: number, segments: number): { lanes: number; segments: number; start(b: number, k: number): number } {
  checkLanes(nTokens, lanes, T, "the text");
  const laneLen = Math.floor(nTokens / lanes);
  return { lanes, segments: Math.min(segments, laneSegments(nTokens, lanes, T)), start: (b, k) => b * laneLen + k * T };
}
