/**
 * The mixed passkey: a passkey retrieval format short enough for the training length of small models,
 * mixed into language-model training so that they learn retrieval at L, and evaluated at longer lengths.
 *
 * Why: Mohtashami & Jaggi's template (src/data/tasks/passkey.ts) needs ≈ 250 byte tokens, more than
 * the bench's L = 64, and small models trained on text alone never learn to retrieve a key: exact match
 * is 0 everywhere and separates nothing. Here a row of L+1 tokens is real training text (the filler) with
 * an information piece hidden at a depth in it and the question at the end:
 *
 *   <text prefix> key:48213.<text suffix> key:48213
 *                 └ information ┘         └ question ┘└ answer: the 5 digits
 *
 * Filler F = L+1 − |information| − |question| − |answer| tokens of text, split at prefix = round(depth·F).
 * The pieces are encoded separately and concatenated (for `byte` this equals encoding the whole text).
 * The answer can only be predicted by finding the information piece: an induction-style copy over a
 * distance of up to L tokens in training, and of up to n tokens at evaluation length n.
 *
 * Training (`PasskeyMixStream`): in every batch of B text windows (drawn exactly as without the mix, so
 * the text stream is unchanged), the first round(mix·B) rows are rewritten as passkey rows: their first F
 * text tokens become the filler; key and depth come from a hash of (seed, row number), so the stream's
 * state is the text sampler's state and a resumed run rebuilds the same rows. A passkey row is trained on
 * its answer only (the other targets are ignored, as in the tasks): with the loss over the whole row, the
 * 5 answer tokens are drowned by the filler's language modelling and nothing is learned (measured: 0.25 and
 * 1.0 of the rows, 600 and 2000 steps, per-digit accuracy at chance).
 *
 * The bench uses the mix as a fine-tuning phase (`training.init_from` the language model, `passkey_mix` 1,
 * docs/experiment.md "Passkey"): mixed into the language-model training from the start, 600 steps teach
 * the default-size models nothing; after language modelling, they learn the retrieval at L.
 *
 * Distance curriculum (`training.passkey_curriculum` c, a fraction of the run's steps): the key starts next
 * to the question and its farthest place moves back linearly until step c·steps, from where the whole row is
 * used — depth d' = 1 − (1 − d)·min(1, (s + 1)/(c·steps)) at optimizer step s (`passkeyCurriculumDepth`;
 * s is the row number / rows per step, so a resumed run rebuilds the same rows). With it, 1200 steps of
 * batch 8 took RoPE from 0.39 to 0.82 of the digits at L (docs/experiment.md "Passkey").
 *
 * Evaluation (`passkeyMixExamples`): `trials` examples of length n, depths i/(trials−1) evenly over
 * [0, 1], keys from `Rng(seed)`, filler cut from held-out text at evenly spaced places; only the answer
 * tokens are targets (scored by teacher-forced exact match and per-token accuracy, src/eval/passkey-mix.ts).
 *
 * Example:
 *   const ex = passkeyMixExamples(byteTokenizer, testTokens, 256, 8, 1234); // 8 examples of 256 tokens
 *   const row = passkeyMixRow(tok, text.subarray(0, 65), 64, 48213, 0.5);  // 65 tokens: input + next target
 */
import { ExtraposError, invalid, show } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import type { Tokenizer } from "./tokenizer.js";
import { exampleFromSequence, IGNORE_INDEX, type TaskExample } from "./tasks/example.js";
import type { RandomWindowSampler, RandomWindowState } from "./batches.js";

export const passkeyMixInformation = (key: number): string => ` key:${key}.`;
export const PASSKEY_MIX_QUESTION = " key:";

export interface PasskeyMixExample extends TaskExample {
  key: number;
  depth: number;
  /** Index in the sequence of the information piece's first token. */
  keyPosition: number;
}

/** Template tokens (information + question + answer) for `key`; the filler is the rest of the row. */
export function passkeyMixFixedTokens(tok: Tokenizer, key = 99999): number {
  return tok.encode(passkeyMixInformation(key)).length + tok.encode(PASSKEY_MIX_QUESTION).length + tok.encode(String(key)).length;
}

/**
 * One passkey sequence of n+1 tokens (input n, last answer token the final target) from `filler` (at least
 * F tokens are read), the key and the depth in [0, 1]. Returns the sequence, where the answer starts and where
 * the information piece is.
 */
export function passkeyMixRow(tok: Tokenizer, filler: ArrayLike<number>, n: number, key: number, depth: number): { seq: Int32Array; answerStart: number; keyPosition: number } {
  if (!Number.isInteger(key) || key < 10000 || key > 99999) throw invalid(`the passkey must be a 5-digit integer, got ${show(key)}`);
  if (!(depth >= 0 && depth <= 1)) throw invalid(`the passkey depth must be in [0, 1], got ${show(depth)}`);
  const info = tok.encode(passkeyMixInformation(key)), question = tok.encode(PASSKEY_MIX_QUESTION), answer = tok.encode(String(key));
  const F = n + 1 - info.length - question.length - answer.length;
  if (F < 1) throw new ExtraposError("invalid_argument", `a passkey row of length ${n} leaves no filler: the template takes ${n + 1 - F} tokens`, "use a longer length");
  if (filler.length < F) throw new ExtraposError("internal", `passkey filler has ${filler.length} tokens, ${F} needed`);
  const prefix = Math.round(depth * F);
  const seq = new Int32Array(n + 1);
  let at = 0;
  const put = (xs: ArrayLike<number>, from = 0, to = xs.length) => { for (let i = from; i < to; i++) seq[at++] = xs[i]!; };
  put(filler, 0, prefix);
  const keyPosition = at;
  put(info);
  put(filler, prefix, F);
  put(question);
  const answerStart = at;
  put(answer);
  return { seq, answerStart, keyPosition };
}

/** Key in 10000 … 99999 and depth in [0, 1] of training row `row` (a stateless hash, so a resume rebuilds the same rows). */
export function passkeyMixDraw(seed: number, row: number): { key: number; depth: number } {
  const rng = new Rng((Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(row + 1, 0x85ebca6b)) >>> 0);
  return { key: 10000 + rng.int(90000), depth: rng.int(1 << 20) / ((1 << 20) - 1) };
}

/**
 * The curriculum's depth (see the header): `depth` in [0, 1] drawn for the row, moved towards 1 (the key
 * next to the question) early in training; unchanged from step c·steps on, and always with c = 0.
 * Example: passkeyCurriculumDepth(0, 99, 1000, 0.5) = 0.8 (step 100 of the 500-step ramp: the key within the last fifth).
 */
export function passkeyCurriculumDepth(depth: number, step: number, steps: number, fraction: number): number {
  if (!(fraction > 0)) return depth;
  return 1 - (1 - depth) * Math.min(1, (step + 1) / (fraction * steps));
}

/** The distance curriculum of a passkey stream: `fraction` of `steps` optimizer steps of `rowsPerStep` rows each. */
export interface PasskeyCurriculum {
  fraction: number;
  steps: number;
  rowsPerStep: number;
}

/**
 * Evaluation examples at length n: depths i/(trials−1) (0.5 for one trial), keys from Rng(seed), filler from
 * `text` at `trials` evenly spaced places; targets only at the answer tokens.
 */
export function passkeyMixExamples(tok: Tokenizer, text: Int32Array, n: number, trials: number, seed: number): PasskeyMixExample[] {
  if (!Number.isInteger(trials) || trials < 1) throw invalid(`passkey trials must be an integer ≥ 1, got ${show(trials)}`);
  if (text.length < n + 1) throw new ExtraposError("invalid_argument", `passkey filler at length ${n} needs more than ${n} tokens of text, got ${text.length}`, "use more evaluation text or shorter lengths");
  const rng = new Rng(seed);
  const span = text.length - (n + 1);
  return Array.from({ length: trials }, (_, i) => {
    const key = 10000 + rng.int(90000);
    const depth = trials === 1 ? 0.5 : i / (trials - 1);
    const start = Math.floor((i * span) / trials);
    const r = passkeyMixRow(tok, text.subarray(start, start + n + 1), n, key, depth);
    return { ...exampleFromSequence(r.seq, r.answerStart), key, depth, keyPosition: r.keyPosition };
  });
}

/**
 * The training batch stream with the passkey mix (see the header): the text sampler's windows, the first
 * round(mix·B) rows of each batch rewritten as passkey rows.
 */
export class PasskeyMixStream {
  constructor(private readonly base: RandomWindowSampler, private readonly tok: Tokenizer, readonly mix: number, private readonly seed: number, private readonly curriculum: PasskeyCurriculum | null = null) {
    if (!(mix >= 0 && mix <= 1)) throw invalid(`\`training.passkey_mix\` must be in [0, 1], got ${show(mix)}`);
    if (curriculum && !(curriculum.fraction >= 0 && curriculum.fraction <= 1 && curriculum.steps >= 1 && curriculum.rowsPerStep >= 1)) throw invalid(`the passkey curriculum must have a fraction in [0, 1] of ≥ 1 steps, got ${show(curriculum)}`);
    passkeyMixRow(tok, new Int32Array(base.seqLen + 1), base.seqLen, 99999, 0); // refuses a training length too short for the template
  }

  /** Rows of a batch of B that are passkey rows. */
  static rows(mix: number, B: number): number {
    return Math.round(mix * B);
  }

  next(B: number, out: { x: Int32Array; y: Int32Array }): { x: Int32Array; y: Int32Array; B: number; T: number } {
    const batch = this.base.next(B, out);
    const T = batch.T, first = this.base.state().drawn - B;
    const row = new Int32Array(T + 1);
    for (let b = 0; b < PasskeyMixStream.rows(this.mix, B); b++) {
      row.set(batch.x.subarray(b * T, (b + 1) * T));
      row[T] = batch.y[(b + 1) * T - 1]!;
      const { key, depth: drawn } = passkeyMixDraw(this.seed, first + b);
      const c = this.curriculum;
      const depth = c ? passkeyCurriculumDepth(drawn, Math.floor((first + b) / c.rowsPerStep), c.steps, c.fraction) : drawn;
      const { seq, answerStart } = passkeyMixRow(this.tok, row, T, key, depth);
      batch.x.set(seq.subarray(0, T), b * T);
      batch.y.set(seq.subarray(1, T + 1), b * T);
      batch.y.fill(IGNORE_INDEX, b * T, b * T + answerStart - 1); // trained on the answer only
    }
    return batch;
  }

  state(): RandomWindowState {
    return this.base.state();
  }
}
