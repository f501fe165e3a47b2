// `extrapos train --task` and `extrapos eval --task` end to end: the toy-model CLI for the happy path,
// the real binary for bad input (refused before any model exists).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toyText } from "../train/testing/toy-data.js";
import { folderSnapshot, refused, runCli, TOY, TOY_ARGS } from "./testing/run-cli.js";

test("train --task copy stores the task; eval defaults to it (--json schema), --task picks another, a table without --json", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-taskcli-"));
  try {
    const out = join(dir, "copy");
    const t = runCli(TOY, ["train", "--task", "copy", "--out", out, "--steps", "6", "--checkpoint-every", "3", ...TOY_ARGS]);
    assert.equal(t.code, 0, t.stderr);
    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    assert.equal(cfg.training.task, "copy");
    // no --task-lengths: a range from the task's shortest example (copy: 2 — one letter, '=', the letter) to
    // --seq-len, as the papers train, not one fixed length
    assert.equal(cfg.training.task_min_length, 2);
    assert.equal(cfg.model.context_length, Number(TOY_ARGS[TOY_ARGS.indexOf("--seq-len") + 1]));
    const fixed = join(dir, "fixed"), seqLen = cfg.model.context_length as number;
    assert.equal(runCli(TOY, ["train", "--task", "copy", "--task-lengths", `${seqLen}:${seqLen}`, "--out", fixed, "--steps", "2", ...TOY_ARGS]).code, 0);
    assert.equal(JSON.parse(readFileSync(join(fixed, "config.json"), "utf8")).training.task_min_length, seqLen, "--task-lengths T:T keeps one length");
    const e = runCli(TOY, ["eval", "--run", out, "--lengths", "16,32", "--trials", "5", "--json"]);
    assert.equal(e.code, 0, e.stderr);
    const r = JSON.parse(e.stdout);
    assert.deepEqual(Object.keys(r), ["task", "lengths", "accuracy", "token_accuracy", "accuracy_ci95", "token_accuracy_ci95", "loss", "trials", "positions"]);
    assert.equal(r.task, "copy");
    assert.deepEqual(r.lengths, [16, 32]);
    assert.equal(r.trials, 5);
    assert.equal(r.accuracy.length, 2);
    for (const a of r.accuracy) assert.ok(a >= 0 && a <= 1 && Number.isInteger(a * 5), `accuracy ${a} is a count out of 5`);
    for (const l of r.loss) assert.ok(Number.isFinite(l) && l > 0);
    const other = JSON.parse(runCli(TOY, ["eval", "--run", out, "--task", "reverse", "--lengths", "9", "--trials", "3", "--task-seed", "7", "--json"]).stdout);
    assert.equal(other.task, "reverse");
    assert.equal(other.trials, 3);
    const table = runCli(TOY, ["eval", "--run", out, "--lengths", "16", "--trials", "2"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^copy, 2 examples per length, positions plain\nlength +exact match +95% CI +per token +95% CI +loss\n +16 +[01]\.\d{3} +\[[01]\.\d\d, [01]\.\d\d\] +[01]\.\d{3} +\[[01]\.\d\d, [01]\.\d\d\] +\d+\.\d{4}\n$/);
    const resumed = runCli(TOY, ["train", "--resume", out, "--quiet"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).training.task_min_length, 2, "the resumed run keeps its range");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad task input: one line, exit 2, nothing written", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-taskcli-"));
  try {
    const text = join(dir, "x.txt");
    writeFileSync(text, toyText(3000));
    const out = join(dir, "copy");
    const t = runCli(TOY, ["train", "--task", "copy", "--out", out, "--steps", "2", ...TOY_ARGS]);
    assert.equal(t.code, 0, t.stderr);
    const before = folderSnapshot(out);
    const fresh = join(dir, "fresh");
    refused(["train", "--task", "nope", "--out", fresh], /--task must be one of copy, reverse, associative-recall, passkey, got "nope"/);
    refused(["train", "--task", "copy", "--data", text, "--out", fresh], /--task and --data are mutually exclusive: a task generates its own examples/);
    refused(["train", "--task", "copy", "--valid", text, "--out", fresh], /--task and --valid are mutually exclusive/);
    refused(["train", "--task", "passkey", "--seq-len", "32", "--out", fresh], /the passkey task needs seq_len \(context_length\) ≥ \d+ with the byte tokenizer, got 32/);
    refused(["train", "--resume", out, "--task", "reverse"], /--task is "copy" in the run, "reverse" requested/);
    refused(["train", "--resume", out, "--data", text], /`training.task` \(copy\) and `data` are mutually exclusive: a task generates its own examples/);
    refused(["eval", "--run", out, "--task", "copy", "--lengths", "16", "--trials", "0"], /--trials must be an integer ≥ 1 \(examples per length\), got 0/);
    refused(["eval", "--run", out, "--task", "nope", "--lengths", "16"], /--task must be one of copy, reverse, associative-recall, passkey, got "nope"/);
    refused(["eval", "--run", out, "--task", "copy", "--lengths", "1"], /the copy task needs every length in --lengths ≥ 2 with the byte tokenizer, got 1/);
    refused(["eval", "--run", out, "--task", "copy", "--text", text, "--lengths", "16"], /--task cannot be combined with --text/);
    refused(["eval", "--run", out, "--text", text, "--lengths", "16", "--trials", "5"], /--trials needs --task NAME/);
    refused(["eval", "--run", out, "--task", "copy", "--lengths", "16", "--positions", "random"], /--positions random applies to models trained with randomized positions \(pe\.randomized\); this run's pe "[a-z]+" has none/);
    refused(["eval", "--run", out, "--text", text, "--lengths", "16", "--positions", "plain", "--position-draws", "2"], /--position-draws applies to --positions random, got --positions plain/);
    refused(["eval", "--run", out, "--text", text, "--lengths", "16", "--positions", "sideways"], /--positions must be one of random, plain/);
    assert.ok(!existsSync(fresh), "no directory created");
    assert.equal(folderSnapshot(out), before, "the run is untouched");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
