/**
 * `extrapos train --resume DIR` with settings other than the run's: the refusal names the flag the user typed
 * (not the config path behind it, such as `pe.kind`), both values, and a hint — through the real binary.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { folderSnapshot, MAIN, runCli, withTextDir } from "./testing/run-cli.js";

test("train --resume with other settings: names the flag typed, both values and a hint; one line, exit 2, the run untouched", withTextDir("extrapos-resume-", 6000, (dir, text) => {
  const out = join(dir, "run");
  // a tiny RoPE transformer: head dimension 4, so rotary_dim is stored as 4
  const t = runCli(MAIN, ["train", "--data", text, "--out", out, "--pe", "rope", "--d-model", "8", "--layers", "1", "--heads", "2", "--seq-len", "16", "--batch", "2", "--steps", "2", "--eval-windows", "2", "--threads", "1", "--quiet"]);
  assert.equal(t.code, 0, t.stderr);
  const before = folderSnapshot(out);
  const cases: Array<[string[], string, string, string]> = [
    // flags, the flag named, the run's value, the requested one
    [["--pe", "alibi"], "--pe", '"rope"', '"alibi"'],
    [["--pe", "alibi", "--d-model", "16"], "--pe", '"rope"', '"alibi"'], // the encoding first: it explains the rest
    [["--d-model", "16"], "--d-model", "8", "16"],
    [["--seq-len", "32"], "--seq-len", "16", "32"],
    [["--heads", "4"], "--heads", "2", "4"], // the stored rotary_dim 4 does not fit head dimension 2: still named as --heads
    [["--model", "lstm"], "--model", '"transformer"', '"lstm"'],
    [["--rope-theta", "500"], "--rope-theta", "10000", "500"],
    [["--rotary-dim", "2"], "--rotary-dim", "4", "2"],
    [["--randomized-max-len", "64"], "--randomized-max-len", "absent", "64"],
    [["--window", "8"], "--window", "null", "8"],
    [["--global-tokens", "2", "--window", "full"], "--global-tokens", "0", "2"],
    [["--tokenizer", "gpt2"], "--tokenizer", '"byte"', '"gpt2"'],
    [["--embedding-scale", "sqrt_d"], "--embedding-scale", '"none"', '"sqrt_d"'],
    [["--steps", "5"], "--steps", "2", "5"],
    [["--lr", "0.1"], "--lr", "0.001", "0.1"],
  ];
  for (const [flags, flag, was, asked] of cases) {
    const r = runCli(MAIN, ["train", "--resume", out, ...flags, "--quiet"]);
    const what = flags.join(" ");
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.equal(r.stdout, "", what);
    assert.match(r.stderr, /^extrapos: [^\n]+\n$/, `${what}: one line: ${JSON.stringify(r.stderr)}`);
    const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const keep = `the run's ${was === "absent" || was === "null" ? "setting (none)" : was}`;
    assert.match(r.stderr, new RegExp(`^extrapos: cannot resume .*run with another config: ${esc(flag)} is ${esc(was)} in the run, ${esc(asked)} requested — hint: omit ${esc(flag)} to keep ${esc(keep)}, or train a new run with another --out\\n$`), what);
    assert.doesNotMatch(r.stderr, /`/, `${what}: no config path named`);
  }
  assert.equal(folderSnapshot(out), before, "the run is untouched");
  // the run's own values, given again, are no difference
  const same = runCli(MAIN, ["train", "--resume", out, "--pe", "rope", "--d-model", "8", "--heads", "2", "--rope-theta", "10000", "--steps", "2", "--threads", "1", "--quiet"]);
  assert.equal(same.code, 0, same.stderr);
}));
