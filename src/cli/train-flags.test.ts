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

test("every encoding parameter of the registry has an `extrapos train` flag that sets it (value, default and help from the spec)", async () => {
  const { ENCODING_NAMES, encodingSpec } = await import("../pe/encodings.js");
  const { describeDefault, paramFlag } = await import("../pe/spec.js");
  const samples = { int: 7, number: 0.5, boolean: true } as const;
  let n = 0;
  for (const enc of ENCODING_NAMES) {
    for (const [key, decl] of Object.entries(encodingSpec(enc).params)) {
      const flag = paramFlag(enc, key, decl);
      const opt = TRAIN_OPTIONS[flag];
      assert.ok(opt, `--${flag} (${enc}.${key})`);
      assert.ok(opt.help.includes(decl.help) && opt.help.includes(enc), `--${flag} help`);
      if (decl.type !== "boolean") assert.ok(opt.default!.includes(describeDefault(decl)), `--${flag} default`);
      const value = decl.type === "choice" ? decl.choices[decl.choices.length - 1]! : samples[decl.type];
      const argv = ["--pe", enc, ...(decl.type === "boolean" ? [`--${flag}`] : [`--${flag}`, String(value)])];
      assert.equal(trainOverrides(parseArgs(argv, TRAIN_OPTIONS)).model.pe![key as never], value, argv.join(" "));
      n++;
    }
  }
  assert.ok(n >= 20, `${n} parameters`);
  assert.throws(() => trainOverrides(parseArgs(["--pe", "alibi", "--kerple-kernel", "power"], TRAIN_OPTIONS)), /--kerple-kernel applies to --pe kerple, got --pe alibi/);
  assert.throws(() => trainOverrides(parseArgs(["--pe", "t5", "--randomized-max-len", "512"], TRAIN_OPTIONS)), /--randomized-max-len combines with --pe sinusoidal \| learned \| rope \| alibi, got --pe t5/);
  // old spellings: --pe kerple-power trains {kind: kerple, kernel: power}; on resume the stored parameters are kept
  assert.deepEqual(parseModelConfig(trainOverrides(parseArgs(["--pe", "kerple-power"], TRAIN_OPTIONS)).model).pe, { kind: "kerple", kernel: "power" });
  // the Transformer-XL flags, and their old spellings as aliases (refused together)
  const txl = (argv: string[]) => parseModelConfig({ d_model: 64, n_heads: 4, ...trainOverrides(parseArgs(["--pe", "transformer-xl", ...argv], TRAIN_OPTIONS)).model }).pe;
  assert.deepEqual(txl(["--clamp-len", "5", "--untie-r"]), txl(["--transformer-xl-clamp-len", "5", "--transformer-xl-untie-r"]));
  assert.deepEqual(txl(["--clamp-len", "5", "--untie-r", "--mem-len", "32"]), { kind: "transformer-xl", clampLen: 5, untieR: true, memLen: 32 });
  assert.throws(() => trainOverrides(parseArgs(["--pe", "transformer-xl", "--clamp-len", "5", "--transformer-xl-clamp-len", "5"], TRAIN_OPTIONS)), /--transformer-xl-clamp-len is the old spelling of --clamp-len; give one of them/);
  assert.throws(() => trainOverrides(parseArgs(["--pe", "rope", "--transformer-xl-untie-r"], TRAIN_OPTIONS)), /--transformer-xl-untie-r applies to --pe transformer-xl, got --pe rope/);
  const stored = { model: { pe: { kind: "t5", num_buckets: 16, max_distance: 64 } } };
  assert.deepEqual(trainOverrides(parseArgs(["--pe", "t5-bucket"], TRAIN_OPTIONS), stored).model.pe, { kind: "t5-bucket", num_buckets: 16, max_distance: 64 });
});
