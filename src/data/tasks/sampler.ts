/**
 * Batches of synthetic task examples for training, and fixed seeded example sets for validation and
 * evaluation.
 *
 * {@link TaskSampler}: each row of a batch is a freshly generated example of input length T
 * (`TASKS[task].generate(tok, T, rng)`), drawn one after the other from one seeded `Rng`; the row
 * feeds `example.input` and predicts `example.target` (−1 = ignored outside the answer).
 * With a length range (`minLength` < T; Ruoss et al. and Kazemnejad et al. train on a range of lengths,
 * so no encoding can hard-code the answer's offset), each example's length ℓ is drawn uniformly from
 * [minLength, T] first; the example fills positions 0 … ℓ−1 and the row is padded on the right with the
 * pad token and target −1 (causal attention: the padding never affects the example's predictions). Its state is
 * the task, T, the Rng words and the number of examples drawn — JSON, like the text sampler's
 * (src/data/batches.ts), so a resumed run draws exactly the examples the killed run would have.
 *
 * {@link taskExamples}: `count` examples of length L from `Rng(seed)`, the same on every machine; for
 * `passkey` they are `passkeyTrials` (keys at depths evenly spread over [0, 1]), as `--passkey` uses.
 *
 * Example:
 *   const s = new TaskSampler("copy", byteTokenizer, 32, 1235);
 *   const { x, y } = s.next(8); // x: inputs, y: targets with −1 outside each answer, [8, 32] row-major
 */
import { ExtraposError, invalid, show } from "../../pe/errors.js";
import { Rng } from "../../pe/random.js";
import type { Tokenizer } from "../tokenizer.js";
import type { TokenBatch } from "../batches.js";
import { taskSymbols, type TaskExample } from "./example.js";
import { getTask, type TaskName } from "./registry.js";
import { passkeyTrials } from "./passkey.js";

/** JSON-serialisable state of a {@link TaskSampler}. */
export interface TaskSamplerState {
  task: TaskName;
  seqLen: number;
  /** Shortest example length (= seqLen: every example has length seqLen). Absent in older states: seqLen. */
  minLength?: number;
  rng: (number | null)[];
  /** Examples drawn so far. */
  drawn: number;
}

/** Refuses a length below the task's minimum for this tokenizer, naming both. */
export function checkTaskSeqLen(task: TaskName, tok: Tokenizer, seqLen: number, what = "seq_len"): void {
  const min = getTask(task).minLength(tok);
  if (!Number.isInteger(seqLen) || seqLen < min) {
    throw new ExtraposError("invalid_argument", `the ${task} task needs ${what} ≥ ${min} with the ${tok.name} tokenizer, got ${show(seqLen)}`);
  }
}

export class TaskSampler {
  private rng: Rng;
  private drawn = 0;

  readonly minLength: number;
  private readonly pad: number;

  constructor(readonly task: TaskName, private readonly tok: Tokenizer, readonly seqLen: number, seed: number, minLength = seqLen) {
    checkTaskSeqLen(task, tok, seqLen);
    if (!Number.isInteger(minLength) || minLength > seqLen) throw invalid(`the shortest task length must be an integer ≤ seq_len (${seqLen}), got ${show(minLength)}`);
    checkTaskSeqLen(task, tok, minLength, "the shortest training length");
    this.minLength = minLength;
    this.pad = taskSymbols(tok).pad;
    this.rng = new Rng(seed);
  }

  /** The next example (input length T, or a length drawn from [minLength, T] with a range). */
  nextExample(): TaskExample {
    this.drawn++;
    const len = this.minLength === this.seqLen ? this.seqLen : this.minLength + this.rng.int(this.seqLen - this.minLength + 1);
    return getTask(this.task).generate(this.tok, len, this.rng);
  }

  /** The next B examples as a batch; `out` (if given, sized B·T) is filled instead of allocating. */
  next(B: number, out?: { x: Int32Array; y: Int32Array }): TokenBatch {
    if (!Number.isInteger(B) || B < 1) throw invalid(`\`batch\` must be a positive integer, got ${show(B)}`);
    const T = this.seqLen;
    const x = out?.x ?? new Int32Array(B * T);
    const y = out?.y ?? new Int32Array(B * T);
    if (x.length !== B * T || y.length !== B * T) throw new ExtraposError("shape_mismatch", `batch buffers must hold B·T = ${B * T} tokens, got x ${x.length}, y ${y.length}`);
    for (let b = 0; b < B; b++) {
      const ex = this.nextExample();
      x.set(ex.input, b * T);
      y.set(ex.target, b * T);
      const n = ex.input.length;
      if (n < T) {
        x.fill(this.pad, b * T + n, (b + 1) * T);
        y.fill(-1, b * T + n, (b + 1) * T);
      }
    }
    return { x, y, B, T };
  }

  state(): TaskSamplerState {
    return { task: this.task, seqLen: this.seqLen, ...(this.minLength !== this.seqLen ? { minLength: this.minLength } : {}), rng: this.rng.state(), drawn: this.drawn };
  }

  /** A sampler that continues exactly where `state` was taken (same tokenizer required). */
  static restore(tok: Tokenizer, state: TaskSamplerState): TaskSampler {
    if (!Array.isArray(state.rng) || state.rng.length !== 5 || !state.rng.slice(0, 4).every((v) => Number.isInteger(v) && v! >= 0 && v! < 2 ** 32)) {
      throw new ExtraposError("corrupt_file", `task sampler state \`rng\` must be 4 uint32 words and a spare, got ${show(state.rng)}`);
    }
    const s = new TaskSampler(state.task, tok, state.seqLen, 0, state.minLength ?? state.seqLen);
    s.rng = Rng.fromState(state.rng);
    s.drawn = state.drawn;
    return s;
  }
}

/**
 * `count` examples of input length L from `Rng(seed)` (passkey: `passkeyTrials`, evenly spread depths).
 *
 * Example: `taskExamples("reverse", byteTokenizer, 64, 100, 1234)` — the same 100 examples everywhere
 */
export function taskExamples(task: TaskName, tok: Tokenizer, length: number, count: number, seed: number): TaskExample[] {
  if (!Number.isInteger(count) || count < 1) throw invalid(`the number of ${task} examples must be a positive integer, got ${show(count)}`);
  checkTaskSeqLen(task, tok, length, "length");
  if (task === "passkey") return passkeyTrials(tok, length, count, seed);
  const rng = new Rng(seed);
  const entry = getTask(task);
  return Array.from({ length: count }, () => entry.generate(tok, length, rng));
}
