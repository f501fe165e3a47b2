// `extrapos train` flag → model config mapping for --embedding-scale (the rest is covered end to end by
// train-eval.test.ts): the flag becomes `embedding: {scale}` (init std derived by the config parser),
// its absence leaves the default, a bad value is refused by the argument parser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseModelConfig } from "../model/config.js";
import { parseArgs } from "./args.js";
import { TRAIN_OPTIONS, trainOverrides } from "./train.js";

test("--embedding-scale sqrt_d → embedding {scale: sqrt_d} (init std d^−0.5); absent → default; bad value refused", () => {
  const on = trainOverrides(parseArgs(["--embedding-scale", "sqrt_d", "--d-model", "64", "--pe", "sinusoidal"], TRAIN_OPTIONS)).model;
  assert.deepEqual(on.embedding, { scale: "sqrt_d" });
  assert.deepEqual(parseModelConfig(on).embedding, { scale: "sqrt_d", initStd: 0.125 });
  const off = trainOverrides(parseArgs(["--pe", "sinusoidal"], TRAIN_OPTIONS)).model;
  assert.equal("embedding" in off, false);
  assert.deepEqual(parseModelConfig(off).embedding, { scale: "none", initStd: 0.02 });
  assert.throws(() => parseArgs(["--embedding-scale", "fairseq"], TRAIN_OPTIONS), /--embedding-scale must be one of none, sqrt_d, got "fairseq"/);
});
