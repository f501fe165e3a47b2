/**
 * TEST-ONLY: the command line as a user meets it, for the CLI tests (src/cli/*.test.ts): `runCli` runs the
 * built `extrapos` (MAIN) or the toy-model CLI (TOY with TOY_ARGS: a tiny LSTM that trains in milliseconds,
 * testing/toy-cli.ts) in a child process; `withTextDir` gives a test a fresh folder holding a text file and
 * removes it afterwards; `refused` checks that bad input through the real binary exits 2 with one line; `folderSnapshot` fingerprints a folder's files, to show a refused command left it as it was.
 *
 * Example:
 *   test("…", withTextDir("extrapos-cli-", 8000, (dir, text) => {
 *     const r = runCli(TOY, ["train", "--data", text, "--out", join(dir, "run"), "--steps", "2", ...TOY_ARGS]);
 *     assert.equal(r.code, 0, r.stderr);
 *   }));
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toyText } from "../../train/testing/toy-data.js";

export const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
export const TOY = fileURLToPath(new URL("./toy-cli.js", import.meta.url));
export const TOY_ARGS = ["--model", "lstm", "--pe", "none", "--d-model", "8", "--layers", "1", "--heads", "1", "--seq-len", "16", "--batch", "4", "--lr", "0.03", "--eval-every", "5", "--eval-windows", "4", "--log-every", "1", "--quiet"];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node entry ...args` (stdin: `input`, if given) to its end, at most 2 minutes. */
export function runCli(entry: string, args: string[], input?: string): CliResult {
  const r = spawnSync(process.execPath, [entry, ...args], { encoding: "utf8", ...(input !== undefined ? { input } : {}), timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A test body run in a fresh folder (`prefix` + random) holding text.txt (`chars` characters of toy text); the folder is removed after. */
export function withTextDir(prefix: string, chars: number, f: (dir: string, text: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const text = join(dir, "text.txt");
    writeFileSync(text, toyText(chars));
    try {
      await f(dir, text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Names, modification times and sizes of the files in `dir`: equal before and after = untouched. */
export function folderSnapshot(dir: string): string {
  return readdirSync(dir).sort().map((f) => `${f}:${statSync(join(dir, f)).mtimeMs}:${readFileSync(join(dir, f)).length}`).join("|");
}

/** Bad input through the real `extrapos` binary: exit 2, exactly one line on stderr matching `re`, nothing on stdout. */
export function refused(args: string[], re: RegExp): void {
  const r = runCli(MAIN, args);
  assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^extrapos: [^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, re);
}
