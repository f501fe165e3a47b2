/**
 * `passkey` retrieval (Mohtashami & Jaggi 2023, "Landmark Attention", arXiv:2305.16300; used by the
 * Position Interpolation paper, arXiv:2306.15595, and YaRN, arXiv:2309.00071): a key hidden at some
 * depth in repetitive filler; the model must reproduce it after the final question.
 *
 * Template, from jquesnelle/yarn eval/passkey.py @ 911591dc (itself from epfml/landmark-attention
 * llama/run_test.py) — five lines joined by "\n":
 *
 *   There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.
 *   <filler prefix>
 *   The pass key is 12345. Remember it. 12345 is the pass key.
 *   <filler suffix>
 *   What is the pass key? The pass key is
 *
 * followed by the answer " 12345". The filler is "The grass is green. The sky is blue. The sun is
 * yellow. Here we go. There and back again." repeated with single spaces; both the prefix and the
 * suffix are *prefixes* of that repetition, as in the reference.
 *
 * Exact length: the pieces are encoded separately and concatenated (every cut is at a "\n", where
 * GPT-2's pre-tokenizer splits anyway; for `byte` it equals encoding the whole text), and the filler
 * is cut in tokens, so that input + answer = L+1 tokens exactly. The filler tokens F = L+1 − (fixed
 * tokens) are shared as prefix = round(depth·F) and suffix = F − prefix.
 *
 * Differences from the reference: the key is a uniform 5-digit number 10000…99999 (the reference
 * draws 1…50000) as our issue asks; the filler is cut in tokens, not characters; the answer is scored
 * by exact match of all tokens of " <key>" under teacher forcing (the reference searches the first
 * number in 10 generated tokens — the same verdict whenever the model stops the number after 5 digits).
 *
 * Example: `passkeyTrials(byteTokenizer, 1024, 10, 1234).map((e) => e.depth)` → 0, 1/9, …, 1
 */
import { Rng } from "../../pe/random.js";
import { ExtraposError, invalid, show } from "../../pe/errors.js";
import type { Tokenizer } from "../tokenizer.js";
import { exampleFromSequence, type TaskExample } from "./example.js";

export const PASSKEY_TASK_DESCRIPTION = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.";
export const PASSKEY_FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
export const PASSKEY_QUESTION = "What is the pass key? The pass key is";
export const passkeyInformationLine = (key: number): string => `The pass key is ${key}. Remember it. ${key} is the pass key.`;

export interface PasskeyExample extends TaskExample {
  key: number;
  /** Requested depth in [0, 1]: 0 = key right after the task description, 1 = right before the question. */
  depth: number;
  /** Index in `input` of the first token of the information piece ("\nThe pass key is …"), i.e. of its "\n". */
  keyPosition: number;
}

const fillerCache = new Map<string, Int32Array>();

function fillerTokens(tok: Tokenizer, needed: number): Int32Array {
  let cached = fillerCache.get(tok.name);
  if (!cached || cached.length < needed) {
    const perRepeat = tok.encode(PASSKEY_FILLER + " ").length;
    const repeats = Math.ceil((needed + 1) / Math.max(1, perRepeat - 1)) + 1;
    cached = tok.encode(Array.from({ length: repeats }, () => PASSKEY_FILLER).join(" "));
    fillerCache.set(tok.name, cached);
  }
  return cached;
}

function templateTokens(tok: Tokenizer, key: number): number {
  return tok.encode(PASSKEY_TASK_DESCRIPTION + "\n").length + tok.encode("\n" + passkeyInformationLine(key) + "\n").length +
    tok.encode("\n" + PASSKEY_QUESTION).length + tok.encode(` ${key}`).length;
}

const worstCase = new Map<string, number>();

/**
 * Tokens of the template without filler (prompt + answer): for `key` if given, else the largest over
 * all 5-digit keys (computed once per tokenizer). The key occurs three times, each time as the
 * pre-tokenizer chunk " <key>", so the count is a key-independent base + 3 × tokens(" <key>").
 */
export function passkeyFixedTokens(tok: Tokenizer, key?: number): number {
  if (key !== undefined) return templateTokens(tok, key);
  let worst = worstCase.get(tok.name);
  if (worst === undefined) {
    let maxKeyTokens = 0;
    for (let k = 10000; k <= 99999; k++) maxKeyTokens = Math.max(maxKeyTokens, tok.encode(` ${k}`).length);
    worst = templateTokens(tok, 12345) - 3 * tok.encode(" 12345").length + 3 * maxKeyTokens;
    worstCase.set(tok.name, worst);
  }
  return worst;
}

/**
 * One passkey prompt of input length L with the key at `depth` (default: uniform from `rng`).
 *
 * Example: `generatePasskey(byteTokenizer, 512, new Rng(7), 0.5).key`
 */
export function generatePasskey(tok: Tokenizer, length: number, rng: Rng, depth?: number): PasskeyExample {
  const d = depth ?? rng.float();
  if (!(d >= 0 && d <= 1)) throw invalid(`passkey \`depth\` must be in [0, 1], got ${show(d)}`);
  const key = 10000 + rng.int(90000);
  const head = tok.encode(PASSKEY_TASK_DESCRIPTION + "\n");
  const info = tok.encode("\n" + passkeyInformationLine(key) + "\n");
  const question = tok.encode("\n" + PASSKEY_QUESTION);
  const answer = tok.encode(` ${key}`);
  const fixed = head.length + info.length + question.length + answer.length;
  const minLength = passkeyFixedTokens(tok) - 1; // the same bound for every key: deterministic errors
  if (!Number.isInteger(length) || length < minLength) {
    throw new ExtraposError("invalid_argument", `\`length\` for the passkey task must be an integer ≥ ${minLength} with the ${tok.name} tokenizer, got ${show(length)}`);
  }
  const F = length + 1 - fixed;
  const prefix = Math.round(d * F);
  const filler = fillerTokens(tok, Math.max(prefix, F - prefix));
  const seq = new Int32Array(length + 1);
  let at = 0;
  for (const part of [head, filler.subarray(0, prefix), info, filler.subarray(0, F - prefix), question, answer]) {
    seq.set(part, at);
    at += part.length;
  }
  return { ...exampleFromSequence(seq, length + 1 - answer.length), key, depth: d, keyPosition: head.length + prefix };
}

/**
 * `trials` prompts of input length L, depths evenly spread over [0, 1] (i/(trials−1); 0.5 for one
 * trial), keys from `Rng(seed)`. Accuracy at L = fraction solved (see `exactMatchAccuracy`).
 *
 * Example: `passkeyTrials(tok, 2048, 20, 1)` — the same 20 prompts on every machine
 */
export function passkeyTrials(tok: Tokenizer, length: number, trials: number, seed: number): PasskeyExample[] {
  if (!Number.isInteger(trials) || trials < 1) throw invalid(`passkey \`trials\` must be a positive integer, got ${show(trials)}`);
  const rng = new Rng(seed);
  return Array.from({ length: trials }, (_, i) => generatePasskey(tok, length, rng, trials === 1 ? 0.5 : i / (trials - 1)));
}
