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
import type { Decoder, EvalOptions, TrainableModel } from "../model/lm.js";
import { StreamDecoder, type Tokenizer } from "../data/tokenizer.js";
import { sampleNextToken, validateSampling, type SamplingOptions } from "./sampling.js";

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate, e.g. 200. */
  maxTokens: number;
  seed: number;
  ropeScaling?: Record<string, unknown>;
}

export const DEFAULT_GENERATE = { maxTokens: 200, temperature: 0.8, topK: 0, topP: 1, seed: 1234 } as const;

function checkOptions(o: GenerateOptions): void {
  validateSampling(o);
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 0) throw invalid(`--max-tokens must be an integer ≥ 0, got ${o.maxTokens}`);
}

/**
 * Samples up to `maxTokens` tokens after `logits` (the decoder's output for the context so far),
 * feeding each to the decoder. `onText` receives each complete piece of text; generation stops
 * early when `stop(text)` returns the index to cut the piece at (e.g. the newline), or -1 to go on.
 * Returns the generated ids (the last one is not fed to the decoder) and whether `stop` ended it.
 */
export function sampleContinuation(decoder: Decoder, logits: Float32Array, tok: Tokenizer, o: GenerateOptions, rng: Rng, onText: (s: string) => void, stop?: (text: string) => number): { ids: number[]; stopped: boolean } {
  const stream = new StreamDecoder(tok);
  const ids: number[] = [];
  for (let i = 0; i < o.maxTokens; i++) {
    const id = sampleNextToken(logits, o, rng);
    ids.push(id);
    const text = stream.push(id);
    const cut = stop && text !== "" ? stop(text) : -1;
    if (cut >= 0) {
      onText(text.slice(0, cut));
      return { ids, stopped: true };
    }
    if (text !== "") onText(text);
    if (i + 1 < o.maxTokens) logits = decoder.feed(Int32Array.of(id));
  }
  const rest = stream.flush();
  if (rest !== "") onText(rest);
  return { ids, stopped: false };
}

/** Streams a continuation of `prompt` to `write`; returns the generated text. */
export function generate(model: TrainableModel, tok: Tokenizer, prompt: string, o: GenerateOptions, write: (s: string) => void): string {
  checkOptions(o);
  const ids = tok.encode(prompt);
  if (ids.length === 0) throw invalid("--prompt must not be empty");
  const evalOpts: EvalOptions = o.ropeScaling ? { ropeScaling: o.ropeScaling } : {};
  const decoder = model.startDecoding(evalOpts);
  const logits = decoder.feed(ids);
  let text = "";
  sampleContinuation(decoder, logits, tok, o, new Rng(o.seed), (s) => {
    text += s;
    write(s);
  });
  return text;
}

/**
 * The interactive loop (see the file header): one reply line per input line, written to `write`;
 * `prompt` (e.g. "you> " on stderr when stdin is a terminal) is shown before each input.
 * `lines` is any async iterable of lines (Node: `readline.createInterface({ input: process.stdin })`;
 * a page: an async generator over its input box). Resolves when it ends, with the number of turns.
 */
export async function chat(model: TrainableModel, tok: Tokenizer, lines: AsyncIterable<string>, o: GenerateOptions, write: (s: string) => void, prompt?: (s: string) => void): Promise<number> {
  checkOptions(o);
  const evalOpts: EvalOptions = o.ropeScaling ? { ropeScaling: o.ropeScaling } : {};
  const decoder = model.startDecoding(evalOpts);
  const rng = new Rng(o.seed);
  let turns = 0;
  prompt?.("you> ");
  for await (const line of lines) {
    const logits = decoder.feed(tok.encode(`User: ${line}\nAssistant:`));
    const { ids, stopped } = sampleContinuation(decoder, logits, tok, o, rng, write, (s) => s.indexOf("\n"));
    // Close the turn in the context: the last sampled token (the newline, when it stopped the reply)
    // was not fed yet; a reply cut by max tokens gets a newline.
    if (ids.length > 0) decoder.feed(Int32Array.of(ids[ids.length - 1]!));
    if (!stopped) decoder.feed(tok.encode("\n"));
    write("\n");
    turns++;
    prompt?.("you> ");
  }
  return turns;
}
