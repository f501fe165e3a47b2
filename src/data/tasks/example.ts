/**
 * What a synthetic task produces and how it is scored, shared by every task.
 *
 * A task example is a token sequence s_0 … s_L (L+1 tokens) made of a prompt and an answer. The model
 * reads `input` = s_0 … s_{L−1} (exactly the requested length L) and, at each position t, predicts
 * s_{t+1}; `target[t]` = s_{t+1} where s_{t+1} belongs to the answer, and −1 (ignore) elsewhere. So the
 * training loss and the evaluation use the ordinary next-token convention with an ignore index.
 *
 * Scoring is exact match: the example is solved when the model's greedy (argmax) prediction equals
 * the target at every answer position. Under teacher forcing this is the same as greedy generation
 * reproducing the whole answer, because each answer token is predicted from the true prefix, and the
 * prefix is true exactly as long as every earlier answer token was predicted right.
 *
 * Example: `scoreExactMatch(example, argmaxPerPosition)` → true | false
 */
import { ExtraposError, invalid, show } from "../../pe/errors.js";
import type { Tokenizer } from "../tokenizer.js";

/** The "ignore" target: the position is not trained on and not scored. */
export const IGNORE_INDEX = -1;

export interface TaskExample {
  /** Model input, length L. */
  input: Int32Array;
  /** Next-token targets, length L, IGNORE_INDEX outside the answer. */
  target: Int32Array;
  /** The answer tokens, in order (the non-ignored targets). */
  answer: Int32Array;
}

/**
 * Builds an example from the full sequence (L+1 tokens) and the index where the answer starts.
 *
 * Example: `exampleFromSequence([5, 6, 7, 8], 2)` → input [5,6,7], target [-1,7,8], answer [7,8]
 */
export function exampleFromSequence(seq: ArrayLike<number>, answerStart: number): TaskExample {
  const L = seq.length - 1;
  if (L < 1 || answerStart < 1 || answerStart > L) throw new ExtraposError("internal", `task sequence of ${seq.length} tokens cannot have its answer start at ${answerStart}`);
  const input = Int32Array.from({ length: L }, (_, t) => seq[t]!);
  const target = Int32Array.from({ length: L }, (_, t) => (t + 1 >= answerStart ? seq[t + 1]! : IGNORE_INDEX));
  const answer = Int32Array.from({ length: L + 1 - answerStart }, (_, i) => seq[answerStart + i]!);
  return { input, target, answer };
}

/** True when `predicted[t] === target[t]` at every answer position (`predicted` has length L). */
export function scoreExactMatch(example: TaskExample, predicted: ArrayLike<number>): boolean {
  if (predicted.length !== example.target.length) {
    throw new ExtraposError("shape_mismatch", `predictions must have one id per input position (${example.target.length}), got ${predicted.length}`);
  }
  for (let t = 0; t < predicted.length; t++) {
    const want = example.target[t]!;
    if (want !== IGNORE_INDEX && predicted[t] !== want) return false;
  }
  return true;
}

/** Fraction of examples solved; `predictions[i]` belongs to `examples[i]`. */
export function exactMatchAccuracy(examples: readonly TaskExample[], predictions: readonly ArrayLike<number>[]): number {
  if (examples.length !== predictions.length || examples.length === 0) {
    throw invalid(`need one prediction per example and at least one example, got ${examples.length} examples and ${predictions.length} predictions`);
  }
  let solved = 0;
  for (let i = 0; i < examples.length; i++) if (scoreExactMatch(examples[i]!, predictions[i]!)) solved++;
  return solved / examples.length;
}

/** The single token id of `text` under `tok`; an error when it is not exactly one token. */
export function singleToken(tok: Tokenizer, text: string): number {
  const ids = tok.encode(text);
  if (ids.length !== 1) throw new ExtraposError("invalid_argument", `the ${tok.name} tokenizer encodes ${show(text)} as ${ids.length} tokens; synthetic tasks need it to be one`);
  return ids[0]!;
}

/** Symbols of the token-level tasks: letters a–z, digits 0–9, a pad and two separators. */
export interface TaskSymbols {
  letters: number[];
  digits: number[];
  /** " " — fills the start of the input when the task's structure does not reach length L exactly. */
  pad: number;
  /** "=" — between the content and the answer (copy, reverse). */
  equals: number;
  /** "?" — before the query key (associative recall). */
  query: number;
}

const SYMBOLS = new WeakMap<Tokenizer, Readonly<TaskSymbols>>();

/**
 * The task symbols under `tok`, encoded once per tokenizer (every example asks for them: encoding the 39 symbols
 * anew was ≈ 6 % of a copy training's CPU time, measured with --cpu-prof); frozen, as they are shared.
 */
export function taskSymbols(tok: Tokenizer): Readonly<TaskSymbols> {
  let s = SYMBOLS.get(tok);
  if (s === undefined) {
    const letters = Object.freeze(Array.from("abcdefghijklmnopqrstuvwxyz", (c) => singleToken(tok, c))) as number[];
    const digits = Object.freeze(Array.from("0123456789", (c) => singleToken(tok, c))) as number[];
    s = Object.freeze({ letters, digits, pad: singleToken(tok, " "), equals: singleToken(tok, "="), query: singleToken(tok, "?") });
    SYMBOLS.set(tok, s);
  }
  return s;
}

export function checkTaskLength(task: string, length: number, min: number): void {
  if (!Number.isInteger(length) || length < min) throw invalid(`\`length\` for the ${task} task must be an integer ≥ ${min}, got ${show(length)}`);
}
