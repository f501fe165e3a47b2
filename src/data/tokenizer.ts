/**
 * Tokenizers, one registry keyed by the name users type (`--tokenizer byte|gpt2`).
 *
 * - `byte` (default): the UTF-8 bytes of the text, vocabulary 256. Every string round-trips.
 *   Decoding ids that are not valid UTF-8 (e.g. a model's sample that stops mid-character) gives
 *   U+FFFD for the broken sequence, as `TextDecoder` does.
 * - `gpt2`: GPT-2's byte-level BPE (vocabulary 50,257 = 50,000 merges + 256 bytes + `<|endoftext|>`),
 *   from the npm package `gpt-tokenizer` (MIT; its `r50k_base` ranks ship inside the package, so
 *   nothing is downloaded at run time). Loaded lazily: only `--tokenizer gpt2` pays for it.
 *   The text `<|endoftext|>` is encoded as ordinary text (7 tokens), never as the special id 50256
 *   (tiktoken's `disallowed_special=()`), so user text cannot inject control tokens.
 *
 * Example:
 *   const tok = await loadTokenizer("byte");
 *   tok.encode("hé") // Int32Array [104, 195, 169]
 *   tok.decode([104, 105]) // "hi"
 */
import { ExtraposError, invalid, show } from "../pe/errors.js";

export type TokenizerName = "byte" | "gpt2";

export interface Tokenizer {
  readonly name: TokenizerName;
  /** Number of distinct ids; every id is in [0, vocabSize). */
  readonly vocabSize: number;
  encode(text: string): Int32Array;
  /** Throws an ExtraposError on an id outside [0, vocabSize). */
  decode(ids: ArrayLike<number>): string;
}

export interface TokenizerEntry {
  /** One line for --help and docs. */
  summary: string;
  vocabSize: number;
  load(): Promise<Tokenizer>;
}

export const DEFAULT_TOKENIZER: TokenizerName = "byte";

function checkIds(name: string, ids: ArrayLike<number>, vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw invalid(`token id at index ${i} must be an integer in [0, ${vocabSize}) for the ${name} tokenizer, got ${show(id)}`);
    }
  }
}

const utf8 = new TextEncoder();

/** The byte tokenizer (synchronous; also available through the registry). */
export const byteTokenizer: Tokenizer = {
  name: "byte",
  vocabSize: 256,
  encode(text: string): Int32Array {
    return Int32Array.from(utf8.encode(text));
  },
  decode(ids: ArrayLike<number>): string {
    checkIds("byte", ids, 256);
    return new TextDecoder("utf-8").decode(Uint8Array.from(ids as ArrayLike<number>));
  },
};

async function loadGpt2(): Promise<Tokenizer> {
  let api: typeof import("gpt-tokenizer/encoding/r50k_base");
  try {
    api = await import("gpt-tokenizer/encoding/r50k_base");
  } catch {
    throw new ExtraposError("io", "the GPT-2 tokenizer package `gpt-tokenizer` is not installed", "run `npm install` in the extrapos folder, or use --tokenizer byte");
  }
  const noSpecial = { disallowedSpecial: new Set<string>() };
  return {
    name: "gpt2",
    vocabSize: 50257,
    encode: (text: string): Int32Array => Int32Array.from(api.encode(text, noSpecial)),
    decode(ids: ArrayLike<number>): string {
      checkIds("gpt2", ids, 50257);
      return api.decode(Array.from(ids));
    },
  };
}

let gpt2Promise: Promise<Tokenizer> | undefined;

export const TOKENIZERS = {
  byte: { summary: "UTF-8 bytes, vocabulary 256 (default)", vocabSize: 256, load: async () => byteTokenizer },
  gpt2: {
    summary: "GPT-2 byte-level BPE (r50k_base), vocabulary 50257, from the gpt-tokenizer package",
    vocabSize: 50257,
    load: () => (gpt2Promise ??= loadGpt2().catch((e: unknown) => { gpt2Promise = undefined; throw e; })),
  },
} satisfies Record<TokenizerName, TokenizerEntry>;

export function isTokenizerName(name: string): name is TokenizerName {
  return Object.prototype.hasOwnProperty.call(TOKENIZERS, name);
}

/**
 * The tokenizer registered under `name`; an ExtraposError naming the choices otherwise.
 *
 * Example: `(await loadTokenizer("gpt2")).encode("Hello world")` → Int32Array [15496, 995]
 */
export async function loadTokenizer(name: string): Promise<Tokenizer> {
  if (!isTokenizerName(name)) {
    throw new ExtraposError("unknown_method", `\`tokenizer\` must be one of ${Object.keys(TOKENIZERS).join(", ")}, got ${show(name)}`);
  }
  return TOKENIZERS[name].load();
}

/**
 * Incremental decoding for streaming generation: ids go in one at a time, text comes out as soon as
 * it is complete. An id whose text ends in a partial UTF-8 character (a byte, or a BPE token holding
 * half of a multi-byte character) is held until the character completes (at most 4 pending ids;
 * beyond that the replacement character is emitted as is). `flush()` returns whatever is left.
 *
 * Example: `const s = new StreamDecoder(byteTokenizer); s.push(0xc3); s.push(0xa9)` → "", then "é"
 */
export class StreamDecoder {
  private pending: number[] = [];
  constructor(private readonly tokenizer: Tokenizer) {}

  push(id: number): string {
    this.pending.push(id);
    const text = this.tokenizer.decode(this.pending);
    if (text.endsWith("\uFFFD") && this.pending.length < 4) return "";
    this.pending = [];
    return text;
  }

  flush(): string {
    const text = this.pending.length > 0 ? this.tokenizer.decode(this.pending) : "";
    this.pending = [];
    return text;
  }
}
