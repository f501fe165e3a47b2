import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { parseModelConfig } from "../model/config.js";
import { ropeScalingDict } from "./rope-scaling.js";
import { resolveRopeScaling } from "./run.js";

const rope = parseModelConfig({ d_model: 32, n_heads: 2, context_length: 64, pe: "rope" });

test("rope scaling dicts: HF keys, original_max_position_embeddings = the training length where the scheme takes it", () => {
  assert.deepEqual(ropeScalingDict({ type: "linear", factor: 4 }, rope), { rope_type: "linear", factor: 4 });
  assert.deepEqual(ropeScalingDict({ type: "dynamic", factor: 2 }, rope), { rope_type: "dynamic", factor: 2 });
  assert.deepEqual(ropeScalingDict({ type: "yarn", factor: 8, betaFast: 16 }, rope), { rope_type: "yarn", factor: 8, original_max_position_embeddings: 64, beta_fast: 16 });
  // llama3 needs low/high frequency factors: the Llama 3.1 values 1 and 4 unless given.
  assert.deepEqual(ropeScalingDict({ type: "llama3", factor: 8 }, rope), { rope_type: "llama3", factor: 8, original_max_position_embeddings: 64, low_freq_factor: 1, high_freq_factor: 4 });
  // An HF dict passes through, completed with the training length.
  assert.deepEqual(resolveRopeScaling({ rope_type: "yarn", factor: 4 }, rope), { rope_type: "yarn", factor: 4, original_max_position_embeddings: 64 });
});

test("rope scaling refusals: non-RoPE model, bad factor, a parameter the scheme does not take, missing longrope lists", () => {
  const no = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof ExtraposError && re.test(e.message));
  no(() => ropeScalingDict({ type: "yarn", factor: 4 }, parseModelConfig({ pe: "alibi" })), /applies to RoPE models; this run's pe is "alibi"/);
  no(() => ropeScalingDict({ type: "linear", factor: 0.5 }, rope), /--rope-scaling linear: .*factor.*0\.5/);
  no(() => ropeScalingDict({ type: "linear", factor: 2, betaFast: 3 }, rope), /--rope-scaling linear: unknown key `rope_scaling.beta_fast`/);
  no(() => ropeScalingDict({ type: "longrope", factor: 2 }, rope), /--rope-scaling longrope: /);
  no(() => ropeScalingDict({ type: "bogus" as "yarn", factor: 2 }, rope), /--rope-scaling must be one of linear, dynamic, ntk, yarn, longrope, llama3, got "bogus"/);
});

test("the scaling types and their flags are read from ROPE_SCHEMES: every context-extension scheme, each of its keys a flag", async () => {
  const { ROPE_SCHEMES } = await import("../pe/rope/scaling/index.js");
  const { ROPE_SCALING_KEYS, ROPE_SCALING_TYPES } = await import("./rope-scaling.js");
  assert.deepEqual([...ROPE_SCALING_TYPES].sort(), Object.entries(ROPE_SCHEMES).filter(([, s]) => s.contextExtension).map(([t]) => t).sort());
  for (const t of ROPE_SCALING_TYPES) {
    const s = ROPE_SCHEMES[t];
    for (const k of [...s.requiredKeys, ...s.optionalKeys] as string[]) {
      if (["factor", "originalMaxPositionEmbeddings", "truncate"].includes(k)) continue;
      assert.ok(ROPE_SCALING_KEYS.get(k)?.schemes.includes(t), `${t}.${k}`);
    }
  }
  assert.deepEqual(ROPE_SCALING_KEYS.get("betaFast"), { schemes: ["yarn"], default: 32 });
});
