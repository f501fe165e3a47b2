// `extrapos train --no-mlp` (model config `mlp: false`, attention-only blocks) through the real binary: the flag
// reaches config.json and the checkpoint (no ln2 / mlp tensors), the run evaluates, generates and resumes; the
// LSTM refuses it in one line; a run with MLPs refuses to resume as attention-only; --help documents it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "../model/safetensors.js";
import { parseArgs } from "./args.js";
import { MAIN, refused, runCli, withTextDir } from "./testing/run-cli.js";
import { TRAIN_OPTIONS, trainHelp, trainOverrides } from "./train.js";

const MODEL = ["--pe", "rope", "--d-model", "16", "--layers", "2", "--heads", "1", "--seq-len", "16", "--batch", "2", "--threads", "1", "--eval-windows", "2", "--quiet"];

test("--no-mlp → model `mlp: false`; absent → the default (true); --help names it", () => {
  assert.equal(trainOverrides(parseArgs(["--no-mlp"], TRAIN_OPTIONS)).model.mlp, false);
  assert.equal("mlp" in trainOverrides(parseArgs(["--heads", "1"], TRAIN_OPTIONS)).model, false);
  assert.match(trainHelp(), /--no-mlp\s+attention-only blocks \(model config `mlp: false`\)/);
});

test("extrapos train --no-mlp: config.json and the checkpoint are attention-only; eval, generate and resume work; refusals in one line", withTextDir("extrapos-attn-only-", 4000, (dir, text) => {
  const run = join(dir, "run");
  const t = runCli(MAIN, ["train", "--data", text, "--out", run, "--no-mlp", "--steps", "2", "--checkpoint-every", "1", ...MODEL]);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(JSON.parse(readFileSync(join(run, "config.json"), "utf8")).model.mlp, false);
  const { tensors, metadata } = readSafetensors(join(run, "model.safetensors"));
  assert.equal(JSON.parse(metadata.config!).mlp, false);
  assert.ok([...tensors.keys()].includes("blocks.1.attn.proj.weight"));
  assert.ok(![...tensors.keys()].some((n) => /\.(ln2|mlp)\./.test(n)), [...tensors.keys()].join(", "));
  const e = runCli(MAIN, ["eval", "--run", run, "--lengths", "16,32", "--max-tokens", "64", "--threads", "1", "--json"]);
  assert.equal(e.code, 0, e.stderr);
  const g = runCli(MAIN, ["generate", "--run", run, "--prompt", "The cat", "--max-tokens", "8", "--seed", "3", "--threads", "1"]);
  assert.equal(g.code, 0, g.stderr);
  const r = runCli(MAIN, ["train", "--resume", run, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  refused(["train", "--data", text, "--out", join(dir, "lstm"), "--model", "lstm", "--pe", "none", "--no-mlp"],
    /`mlp` applies to the transformer's blocks and must be true \(or absent\) for model "lstm", got false — hint: drop `mlp` \(or --no-mlp\) for the LSTM/);
  const withMlp = join(dir, "with-mlp");
  assert.equal(runCli(MAIN, ["train", "--data", text, "--out", withMlp, "--steps", "1", ...MODEL]).code, 0);
  refused(["train", "--resume", withMlp, "--no-mlp"], /cannot resume .* with another config: `?mlp`? is true in the run, false requested/);
}));
