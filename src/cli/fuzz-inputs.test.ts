/**
 * Fuzzing (issue 12) with fast-check, in process, by the rule of src/cli/testing/fuzz.ts (≥ 10⁴
 * inputs per reader, fixed seeds, EXTRAPOS_FUZZ_RUNS=N for more; accepted or refused with a typed
 * ExtraposError → exit 2; never another exception or a hang). Here: the safetensors reader (and the checkpoint decoder on top), the model and training config
 * parsers, the HF config.json reader (and the RoPE computation it feeds), the CLI argument parser with
 * the config resolution behind `train` and the `pe` requests. Files: fuzz-files.test.ts.
 */
import { test } from "node:test";
import fc from "fast-check";
import { computeRope, ropeParamsFromHfConfig } from "../pe/rope/index.js";
import { DEFAULT_MODEL_JSON, parseModelConfig } from "../model/config.js";
import { decodeCheckpoint, encodeCheckpoint } from "../model/checkpoint-codec.js";
import { decodeSafetensors, encodeSafetensors } from "../model/safetensors-codec.js";
import { initParams, paramTable } from "../model/params.js";
import { DEFAULT_TRAINING_JSON, parseTrainingConfig } from "../train/config.js";
import { parseArgs, wantsHelp } from "./args.js";
import { genericPeSize, MAX_PE_NUMBERS } from "./pe/bounds.js";
import { PE_CLI_METHODS } from "./pe/methods.js";
import type { PeCliMethod } from "./pe/index.js";

const PE_METHODS: Record<string, PeCliMethod> = PE_CLI_METHODS;
import { maxMemoryFlag } from "./signals.js";
import { TRAIN_OPTIONS, trainOverrides } from "./train.js";
import { check, configLike, edgy, FUZZ_RUNS } from "./testing/fuzz.js";

test(`fuzz: safetensors reader and checkpoint decoder — ${FUZZ_RUNS} raw, structured and mutated files`, () => {
  const cfg = parseModelConfig({ model: "lstm", d_model: 4, n_layers: 1, n_heads: 1, context_length: 8, pe: "none" });
  const valid = encodeCheckpoint({ config: cfg, params: initParams(paramTable(cfg), 1), step: 3 });
  const dtype = fc.constantFrom("F32", "I32", "F16", "BF16", "F64", "U8", "I64", "BOOL", "X");
  const entry = fc.oneof(
    fc.record({ dtype, shape: fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 4 }), data_offsets: fc.tuple(fc.integer({ min: -4, max: 80 }), fc.integer({ min: -4, max: 80 })) }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const header = fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constant("__metadata__")), entry, { maxKeys: 4 });
  const structured = fc.tuple(header, fc.integer({ min: 0, max: 80 }), fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))).map(([h, body, len]) => {
    const json = Buffer.from(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + body);
    new DataView(out.buffer).setBigUint64(0, len ?? BigInt(json.length), true);
    out.set(json, 8);
    return out;
  });
  const mutated = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).chain((edits) =>
    fc.nat(valid.length).map((cut) => {
      const b = valid.slice(0, Math.max(8, cut));
      for (const [i, v] of edits) if (i < b.length) b[i] = v;
      return b;
    }),
  );
  check(fc.oneof(fc.uint8Array({ maxLength: 200 }), structured, mutated), 12001, (bytes) => {
    try {
      decodeSafetensors(bytes, "fuzz.safetensors");
    } finally {
      decodeCheckpoint(bytes, "fuzz.safetensors");
    }
  });
});

test(`fuzz: model config parser — ${FUZZ_RUNS} configs`, () => {
  const keys = [...Object.keys(DEFAULT_MODEL_JSON), "kind", "theta", "rotary_dim", "layout", "table_size", "randomized", "max_length", "scale", "init_std", "num_buckets", "max_distance", "hidden", "depth", "max_pos", "base", "beyond_table", "scale_base"];
  check(fc.oneof(configLike(keys), fc.jsonValue({ maxDepth: 3 })), 12002, (x) => parseModelConfig(x));
});

test(`fuzz: training config parser — ${FUZZ_RUNS} configs`, () => {
  check(fc.oneof(configLike(Object.keys(DEFAULT_TRAINING_JSON)), fc.jsonValue({ maxDepth: 2 })), 12003, (x) => parseTrainingConfig(x));
});

test(`fuzz: HF config.json reader (rope_scaling / rope_parameters, every rope_type) and the RoPE it yields — ${FUZZ_RUNS} configs`, () => {
  const scalingKeys = ["rope_type", "type", "factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor", "beta_fast", "beta_slow", "short_factor", "long_factor", "attention_factor", "mscale", "mscale_all_dim", "rope_theta", "partial_rotary_factor", "truncate"];
  const topKeys = ["rope_theta", "hidden_size", "num_attention_heads", "head_dim", "max_position_embeddings", "partial_rotary_factor", "rotary_pct", "rotary_emb_base", "original_max_position_embeddings", "rotary_dim"];
  const scaling = configLike(scalingKeys);
  const cfg = fc.tuple(configLike(topKeys), fc.option(scaling), fc.option(fc.oneof(scaling, fc.dictionary(fc.constantFrom("full_attention", "sliding_attention"), scaling, { maxKeys: 2 }))), fc.option(fc.constantFrom("full_attention", "x")))
    .map(([top, s, p, layerType]) => ({ top: { ...top, ...(s !== null ? { rope_scaling: s } : {}), ...(p !== null ? { rope_parameters: p } : {}) }, layerType }));
  check(fc.oneof(cfg, fc.jsonValue({ maxDepth: 3 }).map((top) => ({ top, layerType: null }))), 12004, ({ top, layerType }) => {
    const params = ropeParamsFromHfConfig(top, { source: "fuzz.json", ...(layerType !== null ? { layerType } : {}) });
    if (params.headDim * 3 <= MAX_PE_NUMBERS) computeRope(params, { positions: [0, 1, 4097], seqLen: 4098 });
  });
});

test(`fuzz: CLI arguments → train's config resolution, and every pe request below the size limit — ${FUZZ_RUNS} command lines`, () => {
  const trainFlags = Object.keys(TRAIN_OPTIONS).map((f) => `--${f}`);
  const methods = Object.keys(PE_CLI_METHODS).filter((m) => m !== "rope"); // rope reads a file: fuzz-files
  const peFlags = [...new Set(methods.flatMap((m) => Object.keys(PE_METHODS[m]!.options)))].map((f) => `--${f}`);
  const token = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...trainFlags, ...peFlags, "--help", "-h", "--", "--x=1", "--seq-len=8") },
    { weight: 4, arbitrary: fc.constantFrom("0", "1", "-1", "3", "8", "64", "1e30", "1e-9", "0.5", "abc", "", " ", "NaN", "Infinity", "0:10", "-5:5", "1,2,3", "0:99999999", "rope", "alibi", "lstm", "copy", "none", "half", "4097", "65536") },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );
  const argv = fc.array(token, { maxLength: 14 });
  check(fc.tuple(fc.constantFrom("train", ...methods), argv), 12005, ([cmd, a]) => {
    if (cmd === "train") {
      wantsHelp(a, TRAIN_OPTIONS);
      const args = parseArgs(a, TRAIN_OPTIONS);
      maxMemoryFlag(args);
      const { model, training } = trainOverrides(args);
      parseModelConfig(model, DEFAULT_MODEL_JSON);
      parseTrainingConfig(training);
      return;
    }
    const m = PE_METHODS[cmd]!;
    wantsHelp(a, m.options);
    const args = parseArgs(a, m.options);
    const size = m.size?.(args) ?? genericPeSize(args);
    if (size.numbers <= 20_000) JSON.stringify(m.compute(args)); // what `extrapos pe` prints
  });
});
