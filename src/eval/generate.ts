/**
 * Generation with the model's KV-cache decoder: the prompt is fed once, then one token at a time;
 * each token is sampled (temperature / top-k / top-p with a seeded Rng: same seed → same text) and
 * streamed as soon as its text is complete (`StreamDecoder` holds partial UTF-8 characters).
 * Generation may run past the training length (the decoder's positions simply continue).
 *
 * `chat`: the seed's dialogue application, honestly sized for a small model — a transcript
 *   "User: <line>\nAssistant:" is appended to one growing context (one decoder, so the whole
 *   conversation stays in the KV cache), and the reply is sampled until a newline or `maxTokens`.
 *   Works on a terminal, with piped stdin and in a page; ends with its input. A byte-level model trained on Brown will
 *   answer with Brown-like text, not with answers: this is a demonstration of context, not an assistant.
 *
 * Example:
 *   await generate(model, tok, "The jury said", { maxTokens: 100, temperature: 0.8, topK: 40, topP: 1, seed: 1 }, (s) => process.stdout.write(s));
 */
import { invalid } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import type { Decoder, DecodingOptions, RollingCache, TrainableModel } from "../model/lm.js";
import { StreamDecoder, type Tokenizer } from "../data/tokenizer.js";
import { sampleNextToken, validateSampling, type SamplingOptions } from "./sampling.js";

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate, e.g. 200. */
  maxTokens: number;
  seed: number;
  ropeScaling?: Record<string, unknown>;
  /** StreamingLLM's rolling KV cache (constant memory); default: the cache grows with the text. */
  cache?: RollingCache;
  /** Independent samples of the same prompt (`--num-samples`), decoded as one batch sharing the prompt's prefill; default 1. */
  numSamples?: number;
}

/** Timings of one `generate` call (milliseconds from `performance.now()`; Node: since start-up). */
export interface GenerateStats {
  promptTokens: number;
  /** When the prompt's logits were ready (prefill done). */
  prefillDoneMs: number;
  /** When the first generated text was written (NaN when none was). */
  firstTextMs: number;
  /** Generated tokens (all samples). */
  tokens: number;
  startMs: number;
  endMs: number;
}

/** The seed of sample k: sample 0 uses `seed` itself (so `--num-samples 1` and 2 share their first sample). */
export function sampleSeed(seed: number, k: number): number {
  return k === 0 ? seed : (seed ^ Math.imul(k, 0x9e3779b1)) >>> 0;
}

export const DEFAULT_GENERATE = { maxTokens: 200, temperature: 0.8, topK: 0, topP: 1, seed: 1234 } as const;

function checkOptions(o: GenerateOptions): void {
  validateSampling(o);
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 0) throw invalid(`--max-tokens must be an integer ≥ 0, got ${o.maxTokens}`);
  const n = o.numSamples ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw invalid(`--num-samples must be an integer in [1, 256], got ${n}`);
}

/**
 * Samples up to `maxTokens` tokens after `logits` (the decoder's output for the context so far),
 * feeding each to the decoder. `onText` receives each complete piece of text; generation stops
 * early when `stop(text)` returns the index to cut the piece at (e.g. the newline), or -1 to go on.
 * Keeps no id or text of its own (memory O(1) in `maxTokens`): returns how many tokens it generated,
 * the last one (not fed to the decoder; −1 when none) and whether `stop` ended it.
 */
export function sampleContinuation(decoder: Decoder, logits: Float32Array, tok: Tokenizer, o: GenerateOptions, rng: Rng, onText: (s: string) => void, stop?: (text: string) => number): { count: number; last: number; stopped: boolean } {
  const stream = new StreamDecoder(tok);
  const one = new Int32Array(1);
  let last = -1;
  for (let i = 0; i < o.maxTokens; i++) {
    last = sampleNextToken(logits, o, rng);
    const text = stream.push(last);
    const cut = stop && text !== "" ? stop(text) : -1;
    if (cut >= 0) {
      onText(text.slice(0, cut));
      return { count: i + 1, last, stopped: true };
    }
    if (text !== "") onText(text);
    one[0] = last;
    if (i + 1 < o.maxTokens) logits = decoder.feed(one);
  }
  const rest = stream.flush();
  if (rest !== "") onText(rest);
  return { count: o.maxTokens, last, stopped: false };
}

function decodingOptions(o: GenerateOptions): DecodingOptions {
  return { ...(o.ropeScaling ? { ropeScaling: o.ropeScaling } : {}), ...(o.cache ? { cache: o.cache } : {}) };
}

/**
 * Streams a continuation of `prompt` to `write`; returns the generated text (`generateStream` for the
 * same without keeping it). With `numSamples` N > 1
 * the N samples (seeds `sampleSeed(seed, k)`) are decoded together in one batch that shares the
 * prompt's prefill, and written one after the other when done, each after a header line
 * "--- sample k/N ---" (sample 1 is streamed as it is generated only when N = 1). Returns the texts
 * joined by those headers. `stats`, when given, receives the timings.
 */
export function generate(model: TrainableModel, tok: Tokenizer, prompt: string, o: GenerateOptions, write: (s: string) => void, stats?: GenerateStats): string {
  let all = "";
  generateStream(model, tok, prompt, o, (s) => { all += s; write(s); }, stats);
  return all;
}

/**
 * `generate` without its return value: with one sample nothing of the continuation is kept (each piece
 * goes to `write`, then is dropped), so with a rolling cache (`cache`) memory stays constant however
 * many tokens (`extrapos generate`). N > 1 samples are kept until written, as `generate` says.
 */
export function generateStream(model: TrainableModel, tok: Tokenizer, prompt: string, o: GenerateOptions, write: (s: string) => void, stats?: GenerateStats): void {
  checkOptions(o);
  const startMs = performance.now();
  const ids = tok.encode(prompt);
  if (ids.length === 0) throw invalid("--prompt must not be empty");
  const evalOpts = decodingOptions(o);
  const N = o.numSamples ?? 1;
  const decoder = model.startDecoding(evalOpts, { batch: N, capacity: ids.length + o.maxTokens });
  const s: GenerateStats = stats ?? { promptTokens: 0, prefillDoneMs: 0, firstTextMs: NaN, tokens: 0, startMs, endMs: 0 };
  Object.assign(s, { promptTokens: ids.length, startMs, firstTextMs: NaN, tokens: 0 });
  try {
    const logits = decoder.feed(ids);
    s.prefillDoneMs = performance.now();
    if (N === 1) {
      const { count } = sampleContinuation(decoder, logits, tok, o, new Rng(o.seed), (piece) => {
        if (Number.isNaN(s.firstTextMs)) s.firstTextMs = performance.now();
        write(piece);
      });
      s.tokens = count;
      return;
    }
    const texts = sampleBatch(model, decoder, logits, ids, tok, o, evalOpts);
    s.tokens = N * o.maxTokens;
    texts.forEach((t, k) => {
      if (Number.isNaN(s.firstTextMs)) s.firstTextMs = performance.now();
      write(`${k === 0 ? "" : "\n"}--- sample ${k + 1}/${N} ---\n${t}`);
    });
  } finally {
    decoder.dispose?.();
    s.endMs = performance.now();
  }
}

/** N samples of `maxTokens` tokens after the prompt: one batch decoder, or N decoders for models without batches. */
function sampleBatch(model: TrainableModel, decoder: Decoder, logits: Float32Array, prompt: Int32Array, tok: Tokenizer, o: GenerateOptions, evalOpts: DecodingOptions): string[] {
  const N = o.numSamples ?? 1, V = logits.length;
  const rngs = Array.from({ length: N }, (_, k) => new Rng(sampleSeed(o.seed, k)));
  const streams = rngs.map(() => new StreamDecoder(tok));
  const texts = rngs.map(() => "");
  if (decoder.feedBatch === undefined || decoder.batch !== N) {
    // a model without batch decoding: one decoder per sample, each fed the prompt
    return rngs.map((rng, k) => {
      let text = "";
      const d = k === 0 ? decoder : model.startDecoding(evalOpts);
      try {
        sampleContinuation(d, k === 0 ? logits : d.feed(prompt), tok, o, rng, (piece) => { text += piece; });
      } finally {
        if (k > 0) d.dispose?.();
      }
      return text;
    });
  }
  let rows: Float32Array = logits;
  for (let i = 0; i < o.maxTokens; i++) {
    const next = Int32Array.from(rngs, (rng, k) => sampleNextToken(rows.subarray(i === 0 ? 0 : k * V, i === 0 ? V : (k + 1) * V), o, rng));
    next.forEach((id, k) => { texts[k] += streams[k]!.push(id); });
    if (i + 1 < o.maxTokens) rows = decoder.feedBatch(next);
  }
  return texts.map((t, k) => t + streams[k]!.flush());
}

/**
 * The interactive loop (see the file header): one reply line per input line, written to `write`;
 * `prompt` (e.g. "you> " on stderr when stdin is a terminal) is shown before each input.
 * `lines` is any async iterable of lines (Node: `readline.createInterface({ input: process.stdin })`;
 * a page: an async generator over its input box). Resolves when it ends, with the number of turns.
 */
export async function chat(
  model: TrainableModel, tok: Tokenizer, lines: AsyncIterable<string>, o: GenerateOptions, write: (s: string) => void,
  prompt?: (s: string) => void, onTurn?: (t: ChatTurnStats) => void,
): Promise<number> {
  checkOptions(o);
  const decoder = model.startDecoding(decodingOptions(o));
  const rng = new Rng(o.seed);
  let turns = 0;
  prompt?.("you> ");
  for await (const line of lines) {
    const t0 = performance.now();
    const turn = tok.encode(`User: ${line}\nAssistant:`);
    const logits = decoder.feed(turn);
    let first = NaN;
    const { count, last, stopped } = sampleContinuation(decoder, logits, tok, o, rng, (s) => {
      if (Number.isNaN(first)) first = performance.now();
      write(s);
    }, (s) => s.indexOf("\n"));
    onTurn?.({ inputTokens: turn.length, context: decoder.length, firstTextMs: first - t0, tokens: count, ms: performance.now() - t0 });
    // Close the turn in the context: the last sampled token (the newline, when it stopped the reply)
    // was not fed yet; a reply cut by max tokens gets a newline.
    if (count > 0) decoder.feed(Int32Array.of(last));
    if (!stopped) decoder.feed(tok.encode("\n"));
    write("\n");
    turns++;
    prompt?.("you> ");
  }
  return turns;
}

/** Timings of one chat turn (milliseconds from reading the line). */
export interface ChatTurnStats {
  inputTokens: number;
  /** Tokens in the conversation's context after the reply. */
  context: number;
  firstTextMs: number;
  tokens: number;
  ms: number;
}

const ms = (x: number): string => (Number.isNaN(x) ? "–" : `${Math.round(x)} ms`);

/** One line for `--verbose`: time to first token since start-up, prefill, decode speed. */
export function formatStats(s: GenerateStats): string {
  const decodeMs = s.endMs - s.prefillDoneMs;
  return `extrapos: first token ${ms(s.firstTextMs)} after start-up · prompt ${s.promptTokens} tokens prefilled in ${ms(s.prefillDoneMs - s.startMs)} · ` +
    `${s.tokens} tokens in ${ms(decodeMs)} (${decodeMs > 0 ? Math.round((1000 * s.tokens) / decodeMs) : "–"} tokens/s)`;
}

/** One line for a `--verbose` chat turn. */
export function formatChatTurn(t: ChatTurnStats): string {
  return `${t.inputTokens} tokens in, first reply token after ${ms(t.firstTextMs)}, ${t.tokens} tokens in ${ms(t.ms)}, context ${t.context} tokens`;
}
