/**
 * Issue 12, through the real `extrapos` binary (and the toy-model CLI where only the loop matters): one
 * test per fault, so that none can come back. docs/reliability.md lists which test holds which promise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "../model/checkpoint.js";
import { LOCK_FILE } from "../data/folder-lock.js";
import { readMetrics } from "../train/log/metrics.js";
import { toyText } from "../train/testing/toy-data.js";
import { MAIN, runCli, TOY, TOY_ARGS, withTextDir } from "./testing/run-cli.js";

/** A tiny real transformer (engine-backed), one thread. */
const TINY = ["--d-model", "16", "--layers", "1", "--heads", "2", "--seq-len", "16", "--batch", "2", "--eval-windows", "2", "--threads", "1", "--quiet"];
const withDir = (f: (dir: string, text: string) => Promise<void> | void) => withTextDir("extrapos-rel-", 8000, f);

/** Exit 2 (or `code`), exactly one line on stderr matching `re`, nothing on stdout. */
function oneLine(r: { code: number | null; stdout: string; stderr: string }, re: RegExp, code = 2): void {
  assert.equal(r.code, code, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /internal error|    at /);
}

test("1. --clip 0 (off) trains a transformer and resumes (it used to fail at step 1)", withDir((dir, text) => {
  const out = join(dir, "noclip");
  const a = runCli(MAIN, ["train", "--data", text, "--out", out, "--pe", "alibi", ...TINY, "--steps", "4", "--checkpoint-every", "2", "--clip", "0"]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).training.clip, 0);
  const m = readMetrics(join(out, "metrics.jsonl"));
  assert.equal(m.at(-1)!.step, 4);
  assert.ok(m.every((r) => Number.isFinite(Number(r.grad_norm)) && Number(r.grad_norm) > 0));
}));

test("2. a diverging transformer (--lr 1e6) stops with one line naming the step; the saved checkpoint is finite and loadable", withDir((dir, text) => {
  const out = join(dir, "div");
  const r = runCli(MAIN, ["train", "--data", text, "--out", out, "--pe", "alibi", ...TINY, "--steps", "20", "--lr", "1e6", "--checkpoint-every", "1"]);
  oneLine(r, /^extrapos: training diverged at step (\d+): .* — hint: lower --lr \(now 1000000\).*the last good checkpoint \(step \d+\) in .* is kept and resumable$/m);
  const failedAt = Number(/step (\d+):/.exec(r.stderr)![1]);
  const ckpt = loadCheckpoint(join(out, "model.safetensors"));
  assert.equal(ckpt.step, failedAt - 1, "the last good step was saved, the bad one not");
  for (const [name, p] of ckpt.params) assert.ok(p.every((v) => Number.isFinite(v) && Math.abs(v) <= 1e6), name);
  const e = runCli(MAIN, ["eval", "--run", out, "--text", text, "--lengths", "16", "--json", "--threads", "1"]);
  assert.equal(e.code, 0, e.stderr);
  // Resume loads the good state and diverges the same way again: same message, checkpoint unchanged.
  const again = runCli(MAIN, ["train", "--resume", out, "--quiet"]);
  assert.equal(again.stderr, r.stderr);
  assert.equal(loadCheckpoint(join(out, "model.safetensors")).step, ckpt.step);
}));

test("2. a diverging LSTM stops the same way; a diverging run without checkpoint leaves no folder (5)", withDir((dir, text) => {
  const out = join(dir, "lstm");
  const r = runCli(MAIN, ["train", "--data", text, "--out", out, "--model", "lstm", "--pe", "none", ...TINY, "--steps", "20", "--lr", "1e6", "--warmup", "0", "--checkpoint-every", "100"]);
  oneLine(r, /^extrapos: training diverged at step \d+: .*no checkpoint was written, nothing is saved$/m);
  assert.equal(existsSync(out), false, "the failed run's folder is removed");
  const ok = runCli(MAIN, ["train", "--data", text, "--out", out, "--model", "lstm", "--pe", "none", ...TINY, "--steps", "2"]);
  assert.equal(ok.code, 0, ok.stderr);
}));

test("3. two trainings into one --out: the second is refused naming the owner; a stale lock is taken over", withDir(async (dir, text) => {
  const out = join(dir, "run");
  const child = spawn(process.execPath, [TOY, "train", "--data", text, "--out", out, "--steps", "200", "--checkpoint-every", "5", ...TOY_ARGS], { env: { ...process.env, TOY_STEP_DELAY_MS: "20" }, stdio: "ignore" });
  try {
    while (!existsSync(join(out, "metrics.jsonl"))) await new Promise((r) => setTimeout(r, 20));
    const second = runCli(TOY, ["train", "--data", text, "--out", out, "--steps", "10", ...TOY_ARGS]);
    oneLine(second, new RegExp(`is in use by \`train\` \\(pid ${child.pid}, since .*\\); one process at a time per folder`));
    const resume = runCli(TOY, ["train", "--resume", out, "--quiet"]);
    oneLine(resume, new RegExp(`is in use by \`train\` \\(pid ${child.pid},`));
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
  }
  assert.ok(existsSync(join(out, LOCK_FILE)), "kill -9 leaves the lock behind");
  const resumed = runCli(TOY, ["train", "--resume", out, "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(existsSync(join(out, LOCK_FILE)), false, "released at the end");
  const steps = readMetrics(join(out, "metrics.jsonl")).map((r) => r.step);
  assert.deepEqual(steps, Array.from({ length: 200 }, (_, i) => i + 1), "every step once, from one run");
}));

test("4. environment errors are one line with the path, exit 2 (read-only file system; permission denied; --max-memory > 4 GiB)", withDir((dir, text) => {
  oneLine(runCli(MAIN, ["train", "--data", text, "--out", join(dir, "m"), ...TINY, "--max-memory", "5000"]), /--max-memory must be in \(0, 4096\] MiB, got 5000/);
  const ro = join(dir, "ro");
  mkdirSync(ro);
  const mounted = spawnSync("mount", ["-o", "bind,ro", ro, ro]).status === 0;
  try {
    if (mounted) {
      const r = runCli(MAIN, ["train", "--data", text, "--out", join(ro, "run"), ...TINY, "--steps", "2"]);
      oneLine(r, /cannot create .*ro\/run: the file system is read-only \(EROFS\)/);
    }
  } finally {
    if (mounted) spawnSync("umount", [ro]);
  }
  // Permission denied: a user who may not write into a folder (root may write anywhere, so run as nobody).
  const locked = join(dir, "locked");
  mkdirSync(locked);
  chmodSync(dir, 0o755);
  chmodSync(locked, 0o555);
  const asNobody = process.getuid?.() === 0 && spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]).status === 0;
  if (asNobody) {
    chmodSync(text, 0o644);
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, MAIN, "train", "--data", text, "--out", join(locked, "run"), ...TINY, "--steps", "2"], { encoding: "utf8", timeout: 60_000 });
    oneLine({ code: r.status, stdout: r.stdout, stderr: r.stderr }, /cannot create .*locked\/run: permission denied \(EACCES\)/);
  } else if (process.getuid?.() !== 0) {
    oneLine(runCli(MAIN, ["train", "--data", text, "--out", join(locked, "run"), ...TINY, "--steps", "2"]), /permission denied \(EACCES\)/);
  }
  assert.ok(mounted || asNobody || process.getuid?.() !== 0, "at least one real environment error was exercised");
}));

test("5. a folder left by a run killed before its first checkpoint does not block --out", withDir((dir, text) => {
  const out = join(dir, "run");
  mkdirSync(out);
  writeFileSync(join(out, "config.json"), "{}");
  writeFileSync(join(out, "metrics.jsonl"), '{"step":1}\n');
  const r = runCli(TOY, ["train", "--data", text, "--out", out, "--steps", "3", ...TOY_ARGS]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readMetrics(join(out, "metrics.jsonl")).map((m) => m.step), [1, 2, 3]);
}));

test("6. huge pe requests are refused before computing, with the limit and a hint", () => {
  const t0 = Date.now();
  oneLine(runCli(MAIN, ["pe", "alibi", "--heads", "1000000000"]), /pe alibi would produce 1,000,000,000 numbers \(heads 1000000000\), more than the limit of 4,194,304 — hint: /);
  oneLine(runCli(MAIN, ["pe", "sinusoidal", "--positions", "100000000", "--dim", "4096"]), /pe sinusoidal would produce 409,600,000,000 numbers \(positions 100000000 × dim 4096\)/);
  oneLine(runCli(MAIN, ["pe", "cope", "--gates", Array(3000).fill("0.5").join(",")]), /pe cope would produce 9,000,000 numbers/);
  oneLine(runCli(MAIN, ["pe", "plot", "sinusoidal", "--positions", "100000", "--dim", "4096", "--out", join(tmpdir(), "never.svg")]), /pe plot sinusoidal would produce/);
  assert.ok(Date.now() - t0 < 30_000, "refused quickly, not after allocating");
  const dir = mkdtempSync(join(tmpdir(), "extrapos-rel-"));
  try {
    const cfg = join(dir, "config.json");
    writeFileSync(cfg, JSON.stringify({ rope_theta: 10000, hidden_size: 512, num_attention_heads: 4, max_position_embeddings: 2048 }));
    oneLine(runCli(MAIN, ["pe", "rope", "--config", cfg, "--positions", "0:199999"]), /pe rope would produce 51,200,128 numbers .* — hint: ask for fewer --positions/);
    const ok = runCli(MAIN, ["pe", "rope", "--config", cfg, "--positions", "0:100"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).cos.length, 101);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [sig, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  test(`7. ${sig} saves a checkpoint like Ctrl-C (exit ${code}); --resume gives the uninterrupted run`, withDir(async (dir, text) => {
    const full = runCli(TOY, ["train", "--data", text, "--out", join(dir, "full"), "--steps", "20", "--checkpoint-every", "7", ...TOY_ARGS]);
    assert.equal(full.code, 0, full.stderr);
    const out = join(dir, "cut");
    const child = spawn(process.execPath, [TOY, "train", "--data", text, "--out", out, "--steps", "20", "--checkpoint-every", "7", ...TOY_ARGS], { env: { ...process.env, TOY_STEP_DELAY_MS: "40" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    while (!(existsSync(join(out, "metrics.jsonl")) && readMetrics(join(out, "metrics.jsonl")).length >= 3)) await new Promise((r) => setTimeout(r, 20));
    child.kill(sig);
    const exit = await new Promise((r) => child.on("exit", r));
    assert.equal(exit, code, stderr);
    const step = loadCheckpoint(join(out, "model.safetensors")).step;
    assert.ok(step >= 3 && step < 20 && step % 7 !== 0 || step >= 3, `checkpoint at ${step}`);
    assert.equal(Math.max(...readMetrics(join(out, "metrics.jsonl")).map((r) => r.step)), step, "saved at the step it stopped");
    assert.match(stderr, /training interrupted at step \d+; checkpoint saved/);
    const resumed = runCli(TOY, ["train", "--resume", out, "--quiet"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const strip = (d: string): unknown[] => readMetrics(join(d, "metrics.jsonl")).map(({ tokens_per_s: _t, elapsed_s: _e, ...r }) => r);
    assert.deepEqual(strip(out), strip(join(dir, "full")));
  }));
}

test("8. temp files of a writer killed during a save are removed when the folder is next opened", withDir((dir, text) => {
  const out = join(dir, "run");
  assert.equal(runCli(TOY, ["train", "--data", text, "--out", out, "--steps", "4", "--checkpoint-every", "2", ...TOY_ARGS]).code, 0);
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout.trim();
  const stray = `model.safetensors.${dead}.123456.tmp`;
  writeFileSync(join(out, stray), Buffer.alloc(4096));
  const mine = `model.safetensors.${process.pid}.1.tmp`; // a live writer's temp file is never touched
  writeFileSync(join(out, mine), "x");
  const r = runCli(TOY, ["train", "--resume", out, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const left = readdirSync(out);
  assert.ok(!left.includes(stray), `stray temp removed: ${left.join(", ")}`);
  assert.ok(left.includes(mine));
}));

test("9. --data that is not UTF-8 text (a binary, Latin-1) is refused naming the file and the offset", withDir((dir) => {
  oneLine(runCli(TOY, ["train", "--data", process.execPath, "--out", join(dir, "bin"), ...TOY_ARGS]), /--data file ".*" is not UTF-8 text: (a NUL byte|byte 0x[0-9a-f]{2}, which is not valid UTF-8) at offset \d+ — hint: /);
  const latin1 = join(dir, "latin1.txt");
  writeFileSync(latin1, Buffer.concat([Buffer.from(toyText(2000)), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20])]));
  oneLine(runCli(TOY, ["train", "--data", latin1, "--out", join(dir, "l1"), ...TOY_ARGS]), /is not UTF-8 text: byte 0xe9, which is not valid UTF-8 at offset 2003/);
  assert.equal(existsSync(join(dir, "bin")) || existsSync(join(dir, "l1")), false, "nothing written");
}));

test("11. errors name the flag typed; eval of a missing run; bench --help default; rope_scaling without rope_type; --prompt --help", withDir((dir, text) => {
  oneLine(runCli(MAIN, ["train", "--data", text, "--out", join(dir, "x"), "--seq-len", "0"]), /^extrapos: --seq-len must be an integer ≥ 1, got 0/);
  oneLine(runCli(MAIN, ["train", "--data", text, "--out", join(dir, "x"), "--steps", "1e30"]), /^extrapos: --steps must be an integer of at most 15 digits \(\|x\| ≤ 2\^53 − 1\), got "1e30"/);
  oneLine(runCli(MAIN, ["train", "--data", text, "--out", join(dir, "x"), "--lr", "-1"]), /^extrapos: --lr must be a finite number > 0, got -1/);
  oneLine(runCli(MAIN, ["eval", "--run", join(dir, "runs", "nothere"), "--lengths", "64"]), /run folder ".*nothere" does not exist/);
  const help = runCli(MAIN, ["bench", "--help"]);
  const stepsLine = help.stdout.split("\n").find((l) => l.trimStart().startsWith("--steps"))!;
  const dry = JSON.parse(runCli(MAIN, ["bench", "--dry-run", "--out", dir]).stdout);
  assert.match(stepsLine, new RegExp(`default ${dry.plan.train.steps}\\b|${dry.plan.train.steps}`), `${stepsLine} vs the plan's ${dry.plan.train.steps}`);
  const cfg = join(dir, "c.json");
  writeFileSync(cfg, JSON.stringify({ rope_theta: 10000, hidden_size: 64, num_attention_heads: 4, max_position_embeddings: 2048, rope_scaling: { factor: 4 } }));
  oneLine(runCli(MAIN, ["pe", "rope", "--config", cfg]), /`rope_scaling` has `factor` but no `rope_type`, so the scaling method is unknown .* — hint: add "rope_type": one of /);
  const g = runCli(MAIN, ["generate", "--prompt", "--help"]);
  assert.equal(g.code, 2, "--help as the value of --prompt is the prompt, not a request for help");
  assert.doesNotMatch(g.stdout, /^Usage/);
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  // every run folder an example reads (--run runs/X) is made by an earlier example (--out runs/X)
  const read = [...readme.matchAll(/--run (runs\/[\w-]+)/g)];
  assert.ok(read.some((m) => m[1] === "runs/rope"));
  for (const m of read) {
    const created = readme.search(new RegExp(`--out ${m[1]}(?![\\w-])`));
    assert.ok(created >= 0 && created < m.index!, `the README creates ${m[1]} before it reads it`);
  }
}));
