/**
 * The PyTorch training peer ships with the repository (issue 12, item 10): `npm run bench` finds it
 * without anything outside the checkout, and its model is ours — the same parameter count for each bench
 * config as our parameter table (checked with torch when /usr/bin/python3 has it; CI without torch skips).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { paramCount, paramTable } from "../model/params.js";
import { findTorchTrain, runPython, torchUnavailable } from "./peer.js";
import { benchModelConfig, TRAIN_CONFIGS, type TrainConfig } from "./train.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("the peer training script is inside the repository (never ../shared)", () => {
  const p = findTorchTrain();
  assert.ok(p !== undefined);
  assert.equal(relative(REPO, p), join("src", "bench", "peers", "torch_train.py"));
});

test("the peer's model has our parameter count for every bench config", (t) => {
  const why = torchUnavailable();
  if (why) return t.skip(why);
  const names = Object.keys(TRAIN_CONFIGS) as TrainConfig[];
  const rows = runPython([findTorchTrain()!, "--params", names.join(",")], 1, 120_000);
  assert.deepEqual(rows.map((r) => r.config), names);
  for (const r of rows) assert.equal(r.params, paramCount(paramTable(benchModelConfig(r.config as TrainConfig))), String(r.config));
});
