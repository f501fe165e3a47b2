/**
 * `extrapos generate --sinks K --cache W` and `extrapos eval --streaming [--sinks K] [--cache W]` on a
 * tiny RoPE transformer run: exit codes, the JSON contract, agreement with the ordinary evaluation
 * while windows fit the cache, and one-line refusals (exit 2).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { toyText } from "../train/testing/toy-data.js";

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "main.js");
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test("generate --sinks/--cache, eval --streaming and eval --segment-len/--mem-len: contract, agreement while windows fit, refusals", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-stream-"));
  try {
    const text = join(dir, "text.txt"), run = join(dir, "run");
    writeFileSync(text, toyText(6000));
    const t = cli(["train", "--data", text, "--out", run, "--pe", "rope", "--d-model", "16", "--layers", "1", "--heads", "2", "--seq-len", "16",
      "--batch", "4", "--steps", "10", "--eval-every", "10", "--eval-windows", "2", "--quiet"]);
    assert.equal(t.code, 0, t.stderr);
    const gen = (extra: string[]) => cli(["generate", "--run", run, "--prompt", "The cat", "--max-tokens", "60", "--temperature", "0", ...extra]);
    const g1 = gen(["--sinks", "2", "--cache", "6"]), g2 = gen(["--sinks", "2", "--cache", "6"]);
    assert.equal(g1.code, 0, g1.stderr);
    assert.equal(g1.stdout, g2.stdout);
    assert.ok(g1.stdout.length > 10);
    const ev = (extra: string[]) => {
      const r = cli(["eval", "--run", run, "--text", text, "--lengths", "16,64", "--max-tokens", "64", "--json", ...extra]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const plain = ev([]), streamed = ev(["--streaming", "--sinks", "4", "--cache", "12"]), tight = ev(["--streaming", "--sinks", "1", "--cache", "4"]);
    assert.deepEqual(Object.keys(streamed), Object.keys(plain));
    assert.deepEqual(streamed.tokens, plain.tokens);
    assert.ok(Math.abs(streamed.loss[0] - plain.loss[0]) < 1e-5, "length 16 fits 4 + 12: the same loss");
    assert.ok(Math.abs(tight.loss[1] - plain.loss[1]) > 1e-5, "a cache of 5 evicts");
    // Transformer-XL segments: a window of one segment equals the plain evaluation; longer windows differ
    const seg = ev(["--segment-len", "16", "--mem-len", "8"]);
    assert.deepEqual(seg.tokens, plain.tokens);
    assert.ok(Math.abs(seg.loss[0] - plain.loss[0]) < 1e-5, "length 16 = one segment of 16");
    assert.ok(Math.abs(seg.loss[1] - plain.loss[1]) > 1e-5, "length 64 = 4 segments with memory 8");
    const bad = (args: string[], re: RegExp) => {
      const r = cli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    };
    bad(["eval", "--run", run, "--text", text, "--lengths", "16", "--sinks", "2"], /--sinks needs --streaming/);
    bad(["generate", "--run", run, "--prompt", "x", "--sinks", "2"], /--sinks needs --cache W/);
    bad(["generate", "--run", run, "--prompt", "x", "--cache", "0"], /--cache must be an integer ≥ 1/);
    bad(["eval", "--run", run, "--text", text, "--lengths", "16", "--segment-len", "8"], /--segment-len needs --mem-len M > 0/);
    bad(["eval", "--run", run, "--text", text, "--lengths", "16", "--mem-len", "8", "--streaming"], /two different caches/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
