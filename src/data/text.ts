/**
 * Any user text as a corpus: `--data` is a file, a folder (its `*.txt` files, not recursive), or a
 * glob (`*` and `?` within one path segment, `**` for any number of folders; hidden files and
 * folders are never matched by a wildcard). Files are read as UTF-8, in sorted path order, and joined
 * with "\n". `--valid` / `--test` take the same forms. A file that is not UTF-8 text (invalid UTF-8 or a
 * NUL byte: a binary file) is refused, naming the file and the byte offset: decoding it would replace
 * bytes, and the run would not train on the bytes given (no opt-in: convert the file to UTF-8 first).
 *
 * When `--valid` or `--test` is not given, that split is carved from the *tail* of the data text
 * (test = the last `testFraction`, valid = the `validFraction` before it; train = the rest), cut at
 * a UTF-16 code-unit index that never falls inside a surrogate pair. Deterministic: no randomness.
 *
 * Missing, unmatched or empty data is an `ExtraposError` with one line naming the flag and the path.
 *
 * Example: `loadTextData({ data: "books/**\/*.txt" }).train`
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ExtraposError, invalid, show } from "../pe/errors.js";
import { envError } from "./env-errors.js";
import { DEFAULT_TAIL_FRACTIONS, tailSplit, type CorpusSplits } from "./splits.js";

export { DEFAULT_TAIL_FRACTIONS, tailSplit } from "./splits.js";

export interface TextDataSpec {
  /** File, folder or glob of the training text (e.g. "corpus/*.txt"). */
  data: string;
  /** Validation text (same forms); default: carved from the tail of `data`. */
  valid?: string;
  /** Test text (same forms); default: carved from the tail of `data`. */
  test?: string;
  /** Fraction of `data` carved for validation when `valid` is absent (typical 0.05). */
  validFraction?: number;
  /** Fraction of `data` carved for test when `test` is absent (typical 0.05). */
  testFraction?: number;
}


export interface TextCorpus extends CorpusSplits {
  /** The files each split was read from (carved splits list the data files). */
  files: { train: string[]; valid: string[]; test: string[] };
  /** Which splits were carved from the tail of `data`. */
  carved: { valid: boolean; test: boolean };
}

const GLOB_CHARS = /[*?]/;

/**
 * A glob (posix separators) as a regular expression over paths relative to its base folder.
 *
 * Example: `globToRegExp("**\/*.txt").test("a/b/c.txt")` → true
 */
export function globToRegExp(glob: string): RegExp {
  const parts = glob.split("/");
  let re = "";
  parts.forEach((seg, i) => {
    const last = i === parts.length - 1;
    if (seg === "**") {
      re += last ? "(?:[^/.][^/]*/)*[^/.][^/]*" : "(?:[^/.][^/]*/)*";
      return;
    }
    let s = "";
    for (let j = 0; j < seg.length; j++) {
      const c = seg[j]!;
      const first = j === 0;
      if (c === "*") s += first ? "(?:[^/.][^/]*)?" : "[^/]*";
      else if (c === "?") s += first ? "[^/.]" : "[^/]";
      else s += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    re += s + (last ? "" : "/");
  });
  return new RegExp(`^${re}$`);
}

function walk(dir: string, rel: string, maxDepth: number, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".")) continue;
    const full = join(dir, name);
    const r = rel === "" ? name : `${rel}/${name}`;
    const st = statSync(full);
    if (st.isDirectory()) {
      if (maxDepth > 1) walk(full, r, maxDepth - 1, out);
    } else if (st.isFile()) out.push(r);
  }
}

/**
 * The files a `--data`-style argument names, sorted; an error when there are none.
 *
 * Example: `resolveTextFiles("notes/*.txt", "data")` → ["notes/a.txt", "notes/b.txt"]
 */
export function resolveTextFiles(pattern: string, flag: string): string[] {
  if (pattern.trim() === "") throw invalid(`--${flag} must name a file, folder or glob, got an empty string`);
  if (existsSync(pattern)) {
    const st = statSync(pattern);
    if (st.isFile()) return [pattern];
    if (st.isDirectory()) {
      const files = readdirSync(pattern).filter((f) => f.endsWith(".txt") && !f.startsWith(".") && statSync(join(pattern, f)).isFile()).sort();
      if (files.length === 0) throw new ExtraposError("io", `--${flag} folder ${show(pattern)} contains no .txt files`);
      return files.map((f) => join(pattern, f));
    }
  }
  if (!GLOB_CHARS.test(pattern)) throw new ExtraposError("io", `--${flag} file ${show(pattern)} does not exist`, `the working directory is ${process.cwd()}`);
  const segs = pattern.split("/");
  const firstGlob = segs.findIndex((s) => GLOB_CHARS.test(s));
  const base = segs.slice(0, firstGlob).join("/") || (pattern.startsWith("/") ? "/" : ".");
  const rest = segs.slice(firstGlob).join("/");
  const re = globToRegExp(rest);
  const found: string[] = [];
  if (existsSync(base) && statSync(base).isDirectory()) {
    walk(resolve(base), "", rest.includes("**") ? Infinity : segs.length - firstGlob, found);
  }
  const files = found.filter((r) => re.test(r)).sort().map((r) => (base === "." ? r : join(base, r)));
  if (files.length === 0) throw new ExtraposError("io", `--${flag} glob ${show(pattern)} matches no files`);
  return files;
}

/** Offset of the first byte that is not part of valid UTF-8 (or a NUL byte) in `b`, or -1. */
export function firstNonTextByte(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c === 0) return i;
    if (c < 0x80) { i++; continue; }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length) return i;
    const c1 = b[i + 1]!;
    // second-byte ranges exclude overlongs, surrogates and code points above U+10FFFF
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80, hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= n; k++) {
      const ck = b[i + k];
      if (ck === undefined || ck < 0x80 || ck > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * Reads one file of text: refused when it is not UTF-8 text (invalid UTF-8 or NUL bytes), so that the
 * bytes given are the bytes trained on (decoding with replacement characters would change them).
 */
export function readTextFile(path: string, flag: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw envError(e, path) ?? e;
  }
  return decodeText(buf, path, flag);
}

/** The text of a file's bytes, refused (naming `path` and the offset) unless they are UTF-8 without NUL bytes. */
export function decodeText(bytes: Uint8Array, path: string, flag: string): string {
  const bad = firstNonTextByte(bytes);
  if (bad >= 0) {
    const what = bytes[bad] === 0 ? "a NUL byte" : `byte 0x${bytes[bad]!.toString(16).padStart(2, "0")}, which is not valid UTF-8`;
    throw new ExtraposError("invalid_argument", `--${flag} file ${show(path)} is not UTF-8 text: ${what} at offset ${bad}`, "pass text files; convert other encodings first (e.g. iconv -f latin1 -t utf-8 in.txt > out.txt)");
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

function readJoined(files: readonly string[], flag: string, pattern: string): string {
  const text = files.map((f) => readTextFile(f, flag)).join("\n");
  if (text.trim() === "") throw new ExtraposError("invalid_argument", `--${flag} ${show(pattern)} is empty (${files.length} file${files.length === 1 ? "" : "s"}, no text)`);
  return text;
}

/** Reads the user's text and returns the three splits (see the file header for the rules). */
export function loadTextData(spec: TextDataSpec): TextCorpus {
  const dataFiles = resolveTextFiles(spec.data, "data");
  const data = readJoined(dataFiles, "data", spec.data);
  const validFiles = spec.valid === undefined ? undefined : resolveTextFiles(spec.valid, "valid");
  const testFiles = spec.test === undefined ? undefined : resolveTextFiles(spec.test, "test");
  const vf = validFiles ? 0 : spec.validFraction ?? DEFAULT_TAIL_FRACTIONS.validFraction;
  const tf = testFiles ? 0 : spec.testFraction ?? DEFAULT_TAIL_FRACTIONS.testFraction;
  const cut = tailSplit(data, vf, tf);
  for (const [name, carved, part] of [["train", true, cut.train], ["valid", !validFiles, cut.valid], ["test", !testFiles, cut.test]] as const) {
    if (carved && part.length === 0) {
      throw invalid(`--data ${show(spec.data)} is too short (${data.length} characters) to carve a ${name} split`, name === "train" ? "lower the valid/test fractions, or pass more text" : `pass --${name} FILE, or more text`);
    }
  }
  return {
    train: cut.train,
    valid: validFiles ? readJoined(validFiles, "valid", spec.valid!) : cut.valid,
    test: testFiles ? readJoined(testFiles, "test", spec.test!) : cut.test,
    files: { train: dataFiles, valid: validFiles ?? dataFiles, test: testFiles ?? dataFiles },
    carved: { valid: !validFiles, test: !testFiles },
  };
}
