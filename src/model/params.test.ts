import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { PE_KINDS, PRESETS, parseModelConfig } from "./config.js";
import { INIT_STD, checkParams, initParams, numel, paramCount, paramTable } from "./params.js";
import { readSafetensors } from "./safetensors.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/torch/${name}.safetensors`, import.meta.url));

test("table names, order and shapes equal PyTorch's named_parameters() of the debug-state models", () => {
  // The fixtures' `param.*` tensors are written by torch_debug_state.py / lstm_debug_state.py in
  // named_parameters() order with their PyTorch shapes; the safetensors header keeps that order.
  for (const pe of ["rope", "alibi", "sinusoidal", "learned", "none", "lstm"]) {
    const { tensors } = readSafetensors(fixture(pe));
    const torch = [...tensors].filter(([n]) => n.startsWith("param.")).map(([n, t]) => [n.slice(6), t.shape]);
    const cfg = parseModelConfig(pe === "lstm"
      ? { model: "lstm", d_model: 32, n_layers: 2, context_length: 16, pe: "none" }
      : { d_model: 32, n_layers: 2, n_heads: 2, context_length: 16, pe });
    assert.deepEqual(paramTable(cfg).map((p) => [p.name, p.shape]), torch, `table of ${pe}`);
  }
});

test("attention-only blocks (mlp false): the table is the PyTorch fixture's (no ln2, no mlp.*), in its order", () => {
  for (const h of [1, 2]) {
    const { tensors } = readSafetensors(fixture(`attn_only_rope_h${h}`));
    const torch = [...tensors].filter(([n]) => n.startsWith("param.")).map(([n, t]) => [n.slice(6), t.shape]);
    const cfg = parseModelConfig({ d_model: 32, n_layers: 2, n_heads: h, context_length: 16, pe: "rope", mlp: false });
    assert.deepEqual(paramTable(cfg).map((p) => [p.name, p.shape]), torch, `table of attn_only_rope_h${h}`);
    const torchCount = [...tensors].filter(([n]) => n.startsWith("param.")).reduce((n, [, t]) => n + numel(t.shape), 0);
    assert.equal(paramCount(paramTable(cfg)), torchCount, "parameter count = PyTorch's");
  }
  // tiny without MLPs: 826112 − 4 layers × (ln2 2·128 + fc 4·128·128 + 4·128 + proj 128·4·128 + 128) = 826112 − 4 × 131968
  const tiny = parseModelConfig({ mlp: false });
  assert.equal(paramCount(paramTable(tiny)), 826112 - 4 * 131968);
  assert.ok(!paramTable(tiny).some((p) => /\.(ln2|mlp)\./.test(p.name)));
});

test("parameter counts of tiny and small equal PyTorch's", () => {
  // from python3 + torch 1.13: sum(p.numel() for p in torch_gpt.GPT(**CONFIGS[name]).parameters())
  // → tiny 826112, small 4804608 (the peer's model has no encoding parameters with RoPE)
  assert.equal(paramCount(paramTable(parseModelConfig({}))), 826112);
  assert.equal(paramCount(paramTable(parseModelConfig(PRESETS.small.model))), 4804608);
});

test("encoding parameters: names and shapes as documented", () => {
  const base = { d_model: 32, n_layers: 2, n_heads: 4, context_length: 16 };
  const peNames = (pe: unknown): [string, number[]][] =>
    paramTable(parseModelConfig({ ...base, pe })).filter((p) => /(^pe\.|\.pe\.|pos_emb)/.test(p.name)).map((p) => [p.name, p.shape]);
  assert.deepEqual(peNames("t5"), [["pe.t5.bias", [32, 4]]]);
  assert.deepEqual(peNames("kerple-log"), [["blocks.0.attn.pe.r1", [4]], ["blocks.0.attn.pe.r2", [4]], ["blocks.1.attn.pe.r1", [4]], ["blocks.1.attn.pe.r2", [4]]]);
  assert.deepEqual(peNames("kerple-power").map(([n]) => n), ["blocks.0.attn.pe.a", "blocks.0.attn.pe.p", "blocks.1.attn.pe.a", "blocks.1.attn.pe.p"]);
  assert.deepEqual(peNames("fire").slice(0, 6), [
    ["blocks.0.attn.pe.mlp.0.weight", [32, 1]], ["blocks.0.attn.pe.mlp.0.bias", [32]],
    ["blocks.0.attn.pe.mlp.1.weight", [4, 32]], ["blocks.0.attn.pe.mlp.1.bias", [4]],
    ["blocks.0.attn.pe.c", [1]], ["blocks.0.attn.pe.L_multiplier", [1]],
  ]);
  assert.deepEqual(peNames({ kind: "dynamic-bias", hidden: 8, depth: 2 }), [
    ["pe.dynamic_bias.mlp.0.weight", [8, 1]], ["pe.dynamic_bias.mlp.0.bias", [8]],
    ["pe.dynamic_bias.mlp.1.weight", [8, 8]], ["pe.dynamic_bias.mlp.1.bias", [8]],
    ["pe.dynamic_bias.mlp.2.weight", [4, 8]], ["pe.dynamic_bias.mlp.2.bias", [4]],
  ]);
  assert.deepEqual(peNames({ kind: "cope", max_pos: 16 }), [["blocks.0.attn.pe.pos_emb", [16, 8]], ["blocks.1.attn.pe.pos_emb", [16, 8]]]);
  assert.deepEqual(peNames({ kind: "learned", randomized: { max_length: 64 } }), [["pos_emb.weight", [64, 32]]]);
  for (const kind of ["none", "sinusoidal", "adaptive", "rope", "xpos", "alibi", "sandwich"]) assert.deepEqual(peNames(kind), [], kind);
  // every kind builds a table with unique names
  for (const kind of PE_KINDS) {
    const names = paramTable(parseModelConfig({ ...base, pe: kind })).map((p) => p.name);
    assert.equal(new Set(names).size, names.length, kind);
  }
});

test("initialisation: seeded, bit-identical per seed, with the documented distributions", () => {
  const cfg = parseModelConfig({ d_model: 64, n_layers: 2, n_heads: 2, pe: "kerple-log" });
  const table = paramTable(cfg);
  const a = initParams(table, 7), b = initParams(table, 7), c = initParams(table, 8);
  for (const p of table) assert.deepEqual(a.get(p.name), b.get(p.name), p.name);
  assert.notDeepEqual(a.get("tok_emb.weight"), c.get("tok_emb.weight"));
  checkParams(table, a);
  // LayerNorm weights are ones
  assert.ok(a.get("blocks.1.ln2.weight")!.every((x) => x === 1));
  // normal(0, 0.02): sample std of 256·64 = 16384 draws is within 3% of 0.02 (std error ≈ 0.55%), mean ≈ 0
  const w = a.get("tok_emb.weight")!;
  const mean = w.reduce((s, x) => s + x, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(std - INIT_STD) < 0.03 * INIT_STD, `std ${std}`);
  assert.ok(Math.abs(mean) < 4 * INIT_STD / Math.sqrt(w.length), `mean ${mean}`);
  // KERPLE log: r1 ∈ [0, 2), r2 ∈ [0, 1)
  assert.ok(a.get("blocks.0.attn.pe.r1")!.every((x) => x >= 0 && x < 2));
  assert.ok(a.get("blocks.0.attn.pe.r2")!.every((x) => x >= 0 && x < 1));
  // LSTM: uniform(±1/√H) for LSTM tensors and head
  const lstm = parseModelConfig({ model: "lstm", d_model: 16, n_layers: 1, pe: "none" });
  const p = initParams(paramTable(lstm), 1);
  for (const name of ["lstm.0.weight_ih", "lstm.0.bias_hh", "head.weight", "head.bias"]) {
    assert.ok(p.get(name)!.every((x) => Math.abs(x) <= 0.25), name);
  }
  assert.equal(numel(paramTable(lstm).find((x) => x.name === "lstm.0.weight_hh")!.shape), 64 * 16);
});

test("checkParams names the first missing, mis-sized or unknown tensor", () => {
  const table = paramTable(parseModelConfig({ d_model: 8, n_layers: 1, n_heads: 2, context_length: 4 }));
  const p = initParams(table, 0);
  p.delete("ln_f.bias");
  assert.throws(() => checkParams(table, p), /parameter `ln_f.bias` is missing/);
  p.set("ln_f.bias", new Float32Array(7));
  assert.throws(() => checkParams(table, p), /parameter `ln_f.bias` has 7 elements, shape \[8\] needs 8/);
  p.set("ln_f.bias", new Float32Array(8));
  p.set("head.weight", new Float32Array(1));
  assert.throws(() => checkParams(table, p), /parameter `head.weight` is not in the model's table/);
});

test("adapters name their tensors through the spec: scoped names, and an undeclared name is refused", async () => {
  const { encodingParamNamer } = await import("./params.js");
  const kerple = parseModelConfig({ d_model: 32, n_layers: 2, n_heads: 2, pe: "kerple-power" });
  const named = encodingParamNamer(kerple);
  assert.equal(named("a", 1), "blocks.1.attn.pe.a");
  assert.throws(() => named("r1", 0), /pe "kerple" declares no tensor `r1`/);
  assert.equal(encodingParamNamer(parseModelConfig({ pe: "t5" }))("t5.bias"), "pe.t5.bias");
  assert.equal(encodingParamNamer(parseModelConfig({ pe: { kind: "fire", hidden: 4 } }))("mlp", 3), "blocks.3.attn.pe.mlp");
  assert.equal(encodingParamNamer(parseModelConfig({ pe: "learned" }))("pos_emb.weight"), "pos_emb.weight");
});
