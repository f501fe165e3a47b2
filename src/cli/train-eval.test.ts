import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMetrics } from "../train/log/metrics.js";
import { toyText } from "../train/testing/toy-data.js";
import { folderSnapshot, MAIN, refused, runCli, TOY, TOY_ARGS, withTextDir } from "./testing/run-cli.js";

function setup(): { dir: string; text: string; run: string } {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-cli-"));
  const text = join(dir, "text.txt");
  writeFileSync(text, toyText(8000));
  const runDir = join(dir, "run");
  const r = runCli(TOY, ["train", "--data", text, "--out", runDir, "--steps", "10", "--checkpoint-every", "5", ...TOY_ARGS]);
  assert.equal(r.code, 0, r.stderr);
  return { dir, text, run: runDir };
}

test("CLI happy path (toy model): train → eval --json (contract) → generate (seeded, streamed)", () => {
  const { dir, text, run: runDir } = setup();
  try {
    for (const f of ["config.json", "metrics.jsonl", "model.safetensors", "train_state.safetensors"]) assert.ok(existsSync(join(runDir, f)), f);
    const e = runCli(TOY, ["eval", "--run", runDir, "--text", text, "--lengths", "64,128", "--json"]);
    assert.equal(e.code, 0, e.stderr);
    const r = JSON.parse(e.stdout);
    assert.deepEqual(Object.keys(r), ["lengths", "loss", "ppl", "tokens", "ppl_ci95", "positions", "position_draws", "loss_per_position", "position_bucket_size"]);
    assert.deepEqual(r.lengths, [64, 128]);
    const N = readFileSync(text).length; // byte tokenizer: the file's bytes
    assert.deepEqual(r.tokens, [Math.floor((N - 1) / 64) * 64, Math.floor((N - 1) / 128) * 128]);
    r.loss.forEach((l: number, i: number) => assert.equal(r.ppl[i], Math.exp(l)));
    assert.equal(r.positions, "plain");
    assert.equal(r.position_draws, 1);
    r.ppl_ci95.forEach(([lo, hi]: [number, number], i: number) => assert.ok(lo <= r.ppl[i] * (1 + 1e-9) && r.ppl[i] <= hi * (1 + 1e-9) && lo < hi, `${lo} ≤ ${r.ppl[i]} ≤ ${hi}`));
    assert.deepEqual(r.loss_per_position.map((c: number[]) => c.length), [64, 128]);
    const g1 = runCli(TOY, ["generate", "--run", runDir, "--prompt", "The cat", "--max-tokens", "30", "--seed", "5", "--temperature", "0"]);
    const g2 = runCli(TOY, ["generate", "--run", runDir, "--prompt", "The cat", "--max-tokens", "30", "--seed", "5", "--temperature", "0"]);
    assert.equal(g1.code, 0, g1.stderr);
    assert.equal(g1.stdout, g2.stdout);
    assert.ok(g1.stdout.length > 10);
    const c = runCli(TOY, ["generate", "--run", runDir, "--chat", "--max-tokens", "20"], "hi\nagain\n");
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.split("\n").length, 3, "two replies, each ended by a newline");
    for (const cmd of ["train", "eval", "generate"]) {
      const h = runCli(MAIN, [cmd, "--help"]);
      assert.equal(h.code, 0);
      assert.match(h.stdout, /^Usage: extrapos /);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI Ctrl-C then --resume: exit 130, then the same metrics as an uninterrupted run", withTextDir("extrapos-cli-", 8000, async (dir, text) => {
  const full = runCli(TOY, ["train", "--data", text, "--out", join(dir, "full"), "--steps", "20", "--checkpoint-every", "7", ...TOY_ARGS]);
  assert.equal(full.code, 0, full.stderr);
  const out = join(dir, "cut");
  const child = spawn(process.execPath, [TOY, "train", "--data", text, "--out", out, "--steps", "20", "--checkpoint-every", "7", ...TOY_ARGS], { env: { ...process.env, TOY_STEP_DELAY_MS: "40" }, stdio: ["ignore", "pipe", "pipe"] });
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    if (readMetrics(join(out, "metrics.jsonl")).length >= 3) break;
  }
  child.kill("SIGINT");
  const code = await new Promise((r) => child.on("exit", r));
  assert.equal(code, 130);
  const resumed = runCli(TOY, ["train", "--resume", out, "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const strip = (d: string): unknown[] => readMetrics(join(d, "metrics.jsonl")).map(({ tokens_per_s: _t, elapsed_s: _e, ...r }) => r);
  assert.deepEqual(strip(out), strip(join(dir, "full")));
}));

test("bad input to train: one line, exit 2, nothing written or overwritten", () => {
  const { dir, text, run: runDir } = setup();
  try {
    const before = folderSnapshot(runDir);
    const fresh = join(dir, "fresh");
    const empty = join(dir, "empty.txt");
    writeFileSync(empty, "  \n");
    refused(["train", "--data", join(dir, "missing.txt"), "--out", fresh], /--data file ".*missing\.txt" does not exist/);
    refused(["train", "--data", empty, "--out", fresh], /--data ".*empty\.txt" is empty/);
    refused(["train", "--data", text, "--out", runDir, ...TOY_ARGS], /already holds a run \(model\.safetensors\); refusing to overwrite it/);
    refused(["train", "--resume", runDir, "--d-model", "16"], /cannot resume .* with another config: --d-model is 8 in the run, 16 requested/);
    refused(["train", "--resume", runDir, "--pe", "sinusoidal"], /another config: --pe is "nope" in the run, "sinusoidal" requested — hint: omit --pe /);
    refused(["train", "--resume", join(dir, "nothing")], /is not an extrapos run: config\.json is missing/);
    refused(["train", "--data", text, "--out", fresh, "--pe", "bogus"], /--pe must be one of nope, sinusoidal, .*got "bogus"/);
    refused(["train", "--data", text, "--out", fresh, "--steps", "abc"], /--steps must be a finite number, got "abc"/);
    refused(["train", "--data", text, "--out", fresh, "--lr", "1e-3x"], /--lr must be a finite number/);
    refused(["train", "--data", text, "--out", fresh, "--seq-len", "0"], /^extrapos: --seq-len must be an integer ≥ 1, got 0/);
    refused(["train", "--data", text, "--out", fresh, "--pe", "alibi", "--rope-theta", "5"], /--rope-theta applies to --pe rope \| xpos, got --pe alibi/);
    refused(["train", "--data", text, "--out", fresh, "--seq-len", "4096", "--batch", "64"], /training with batch 64 × seq_len 4096 needs an estimated .* GiB, more than the 4\.00 GiB available/);
    refused(["train", "--data", text, "--out", fresh, "--model", "lstm", "--pe", "none", "--d-model", "8", "--layers", "1", "--batch", "1", "--seq-len", "1000"], /the valid split has 400 tokens, fewer than seq_len \+ 1 = 1001/);
    assert.ok(!existsSync(fresh), "no directory created");
    assert.equal(folderSnapshot(runDir), before, "the existing run is untouched");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad input to eval and generate: one line, exit 2", () => {
  const { dir, text, run: runDir } = setup();
  try {
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "0"], /--lengths must be positive integers, got 0/);
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "64,-8"], /--lengths must be positive integers, got -8/);
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "100000"], /length 100000 needs at least 100001 tokens, --text ".*" has 8000/);
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "64", "--stride", "65"], /--stride must be an integer in \[1, L\]/);
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "64", "--rope-scaling", "bogus", "--factor", "2"], /--rope-scaling must be one of linear, dynamic, ntk, yarn, longrope, llama3, got "bogus"/);
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "64", "--rope-scaling", "yarn", "--factor", "2"], /--rope-scaling applies to RoPE models; this run's pe is "nope"/);
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "64", "--factor", "2"], /--factor needs --rope-scaling TYPE/);
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "64", "--max-memory", "0.01"], /evaluating windows of length 64 \(batch 64\) needs an estimated .* more than the 11 KiB available/);
    refused(["eval", "--run", runDir, "--text", join(dir, "none.txt"), "--lengths", "64"], /--text file ".*none\.txt" does not exist/);
    refused(["eval", "--run", join(dir, "nope"), "--lengths", "64"], /run folder ".*nope" does not exist/);
    refused(["eval", "--run", dir, "--lengths", "64"], /has no model\.safetensors/);
    refused(["generate", "--run", runDir, "--prompt", ""], /--prompt must not be empty/);
    refused(["generate", "--run", runDir], /--prompt TEXT is required \(or --chat\)/);
    refused(["generate", "--run", runDir, "--prompt", "a", "--top-p", "2"], /--top-p must be in \(0, 1\], got 2 — hint: 1 = off/);
    refused(["generate", "--run", runDir, "--prompt", "a", "--temperature", "-1"], /--temperature must be a finite number ≥ 0, got -1 — hint: 0 = greedy/);
    // Truncated and corrupt checkpoints.
    const model = join(runDir, "model.safetensors");
    const bytes = readFileSync(model);
    writeFileSync(model, bytes.subarray(0, bytes.length - 10));
    refused(["eval", "--run", runDir, "--text", text, "--lengths", "64"], /model\.safetensors/);
    writeFileSync(model, Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]), bytes.subarray(8)]));
    refused(["generate", "--run", runDir, "--prompt", "a"], /model\.safetensors/);
    refused(["train", "--resume", runDir, "--quiet"], /model\.safetensors/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("generate on a transformer run: --num-samples (batch sharing the prefill) and --verbose timings; | head ends quietly", withTextDir("extrapos-cli-", 4000, (dir, text) => {
  const runDir = join(dir, "run");
  const t = runCli(MAIN, ["train", "--data", text, "--out", runDir, "--model", "transformer", "--pe", "rope", "--d-model", "16", "--layers", "1", "--heads", "2", "--seq-len", "16", "--batch", "2", "--steps", "2", "--threads", "1", "--quiet"]);
  assert.equal(t.code, 0, t.stderr);
  const gen = (extra: string[]) => runCli(MAIN, ["generate", "--run", runDir, "--prompt", "The cat", "--max-tokens", "12", "--seed", "9", "--temperature", "1", "--threads", "1", ...extra]);
  const one = gen(["--verbose"]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stderr, /^extrapos: first token \d+ ms after start-up · prompt 7 tokens prefilled in \d+ ms · 12 tokens in \d+ ms \(\d+ tokens\/s\)\n$/);
  const three = gen(["--num-samples", "3"]);
  assert.equal(three.code, 0, three.stderr);
  const parts = three.stdout.split(/\n?--- sample \d\/3 ---\n/);
  assert.equal(parts.length, 4, three.stdout);
  assert.equal(parts[1] + "\n", one.stdout, "sample 1 = the single generation with the same seed");
  const refused = runCli(MAIN, ["generate", "--run", runDir, "--chat", "--num-samples", "2"], "hi\n");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--num-samples applies to --prompt, not --chat, got 2/);
  const head = spawnSync("sh", ["-c", `"${process.execPath}" "${MAIN}" generate --run "${runDir}" --prompt hi --max-tokens 5000 --num-samples 2 --threads 1 | head -c 1`], { encoding: "utf8" });
  assert.equal(head.stderr, "", "no EPIPE trace");
}));
