import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { loadCheckpoint, loadTrainState, saveCheckpoint, saveTrainState } from "./checkpoint.js";
import { modelConfigToJson, parseModelConfig } from "./config.js";
import { initParams, paramTable } from "./params.js";
import { crossEntropy, referenceForward } from "./reference.js";
import { readSafetensors, writeSafetensors, type Tensor } from "./safetensors.js";
import { readTorchDebugState } from "./torch-debug-state.js";

function withDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-ckpt-"));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function refuses(f: () => unknown, code: string, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ExtraposError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

const small = parseModelConfig({ d_model: 32, n_layers: 2, n_heads: 2, context_length: 16, pe: { kind: "t5", num_buckets: 8, max_distance: 32 } });

test("save → load round trip: every tensor bit-identical, config and step restored; metadata is PyTorch-friendly", () => {
  withDir((dir) => {
    const path = join(dir, "model.safetensors");
    const params = initParams(paramTable(small), 3);
    saveCheckpoint(path, { config: small, params, step: 42 });
    const back = loadCheckpoint(path, small);
    assert.deepEqual(back.config, small);
    assert.equal(back.step, 42);
    assert.deepEqual([...back.params.keys()], paramTable(small).map((p) => p.name));
    for (const [name, a] of params) assert.deepEqual(back.params.get(name), a, name);
    const { metadata, tensors } = readSafetensors(path);
    assert.ok(metadata.config !== undefined, "metadata has a config");
    assert.deepEqual(JSON.parse(metadata.config), modelConfigToJson(small));
    assert.equal(JSON.parse(metadata.config).pe.num_buckets, 8);
    assert.equal(metadata.step, "42");
    assert.deepEqual(tensors.get("pe.t5.bias")!.shape, [8, 2]);
    // without an expected config the checkpoint's own config is used (resume)
    assert.deepEqual(loadCheckpoint(path).config, small);
    assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
  });
});

test("a checkpoint from another config is refused, naming the tensor and both shapes, or the differing key", () => {
  withDir((dir) => {
    const path = join(dir, "model.safetensors");
    saveCheckpoint(path, { config: small, params: initParams(paramTable(small), 0), step: 1 });
    const tiny = parseModelConfig({});
    refuses(() => loadCheckpoint(path, tiny), "shape_mismatch",
      /model\.safetensors: checkpoint from another config: `tok_emb\.weight` has shape \[256,32\], the config expects \[256,128\]$/);
    const wider = parseModelConfig({ ...modelConfigToJson(small), d_model: 64 }, {});
    refuses(() => loadCheckpoint(path, wider), "shape_mismatch", /`tok_emb\.weight` has shape \[256,32\], the config expects \[256,64\]/);
    const otherBuckets = parseModelConfig({ ...modelConfigToJson(small), pe: { kind: "t5", num_buckets: 16, max_distance: 32 } }, {});
    refuses(() => loadCheckpoint(path, otherBuckets), "shape_mismatch", /`pe\.t5\.bias` has shape \[8,2\], the config expects \[16,2\]/);
    const otherDistance = parseModelConfig({ ...modelConfigToJson(small), pe: { kind: "t5", num_buckets: 8, max_distance: 64 } }, {});
    refuses(() => loadCheckpoint(path, otherDistance), "invalid_config", /checkpoint from another config: `pe\.max_distance` is 32 in the checkpoint, 64 in the config/);
    const alibi = parseModelConfig({ ...modelConfigToJson(small), pe: "alibi" }, {});
    refuses(() => loadCheckpoint(path, alibi), "shape_mismatch", /`pe\.t5\.bias` is not a parameter of the config/);
  });
});

test("the issue's example: qkv of a d=32 model against a d=128 config", () => {
  // Same tensor names, only the qkv weight from a d=32 model: the first mismatch in table order is qkv.
  withDir((dir) => {
    const path = join(dir, "model.safetensors");
    const tiny = parseModelConfig({});
    const params = initParams(paramTable(tiny), 0);
    const tensors = new Map<string, Tensor>();
    for (const p of paramTable(tiny)) {
      const odd = p.name === "blocks.0.attn.qkv.weight";
      tensors.set(p.name, { dtype: "F32", shape: odd ? [96, 32] : p.shape, data: odd ? new Float32Array(96 * 32) : params.get(p.name)! });
    }
    writeSafetensors(path, tensors, { format: "extrapos-checkpoint", format_version: "1", config: JSON.stringify(modelConfigToJson(tiny)), step: "0" });
    refuses(() => loadCheckpoint(path, tiny), "shape_mismatch",
      /checkpoint from another config: `blocks\.0\.attn\.qkv\.weight` has shape \[96,32\], the config expects \[384,128\]/);
    refuses(() => loadCheckpoint(path), "corrupt_file", /`blocks\.0\.attn\.qkv\.weight` has shape \[96,32\], the checkpoint's own config expects \[384,128\]/);
  });
});

test("refuses files that are not our checkpoints or whose metadata is broken", () => {
  withDir((dir) => {
    const path = join(dir, "x.safetensors");
    const params = initParams(paramTable(small), 0);
    const tensors = new Map<string, Tensor>([...params].map(([n, a]) => [n, { dtype: "F32", shape: paramTable(small).find((p) => p.name === n)!.shape, data: a }]));
    const meta = { format: "extrapos-checkpoint", format_version: "1", config: JSON.stringify(modelConfigToJson(small)), step: "5" };
    writeSafetensors(path, tensors, { ...meta, format: "other" });
    refuses(() => loadCheckpoint(path), "corrupt_file", /`__metadata__\.format` is "other", expected "extrapos-checkpoint"/);
    writeSafetensors(path, tensors, { ...meta, format_version: "9" });
    refuses(() => loadCheckpoint(path), "corrupt_file", /`__metadata__\.format_version` is "9"/);
    writeSafetensors(path, tensors, { ...meta, step: "-1" });
    refuses(() => loadCheckpoint(path), "corrupt_file", /`__metadata__\.step` is "-1", not a non-negative integer/);
    writeSafetensors(path, tensors, { ...meta, config: JSON.stringify({ ...modelConfigToJson(small), d_model: 33 }) });
    refuses(() => loadCheckpoint(path), "corrupt_file", /`__metadata__\.config` is not a valid model config: `d_model` must be divisible by `n_heads`, got 33 and 2/);
    writeSafetensors(path, tensors, { ...meta, config: JSON.stringify({ d_model: 32 }) });
    refuses(() => loadCheckpoint(path), "corrupt_file", /not a valid model config: `model` must be one of/);
    tensors.delete("ln_f.bias");
    writeSafetensors(path, tensors, meta);
    refuses(() => loadCheckpoint(path), "corrupt_file", /`ln_f\.bias` is missing/);
    // truncated file: corrupt_file from the safetensors reader
    writeSafetensors(path, new Map([...tensors]), meta);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    refuses(() => loadCheckpoint(path), "corrupt_file", /past the end of the data/);
  });
});

test("saveCheckpoint refuses params that do not match the table, writing nothing", () => {
  withDir((dir) => {
    const path = join(dir, "model.safetensors");
    const params = initParams(paramTable(small), 0);
    params.set("blocks.0.mlp.fc.bias", new Float32Array(3));
    refuses(() => saveCheckpoint(path, { config: small, params, step: 0 }), "shape_mismatch", /`blocks\.0\.mlp\.fc\.bias` has 3 elements, shape \[128\] needs 128/);
    refuses(() => saveCheckpoint(path, { config: small, params: initParams(paramTable(small), 0), step: 1.5 }), "invalid_argument", /`step` must be an integer ≥ 0, got 1\.5/);
    assert.deepEqual(readdirSync(dir), []);
  });
});

test("train state: named arrays and JSON round-trip exactly; step checked; non-JSON numbers refused", () => {
  withDir((dir) => {
    const path = join(dir, "train_state.safetensors");
    const rng = new Rng(5);
    rng.gaussian(); // leaves a spare gaussian in the state
    const m = Float32Array.from([1.5, -2, 3e-30]);
    const counts = Int32Array.from([7, -1]);
    const meta = { adamStep: 12, lr: 3e-4, rng: rng.state(), data: { epoch: 0, cursor: 1234 } };
    saveTrainState(path, { step: 12, tensors: new Map<string, Float32Array | Int32Array>([["adam.m.w", m], ["counts", counts]]), meta });
    const back = loadTrainState(path, 12);
    assert.equal(back.step, 12);
    assert.deepEqual(back.meta, meta);
    assert.deepEqual(back.tensors.get("adam.m.w"), m);
    assert.deepEqual(back.tensors.get("counts"), counts);
    // the restored RNG continues the same stream
    const r2 = Rng.fromState((back.meta as typeof meta).rng);
    assert.equal(r2.gaussian(), rng.gaussian());
    refuses(() => loadTrainState(path, 13), "corrupt_file", /train state is at step 12, the checkpoint at step 13/);
    refuses(() => saveTrainState(path, { step: 13, tensors: new Map(), meta: { spare: NaN } }), "non_finite", /train state `meta\.spare` is NaN, which JSON cannot store/);
    refuses(() => saveTrainState(path, { step: 13, tensors: new Map(), meta: { a: [1, Infinity] } }), "non_finite", /`meta\.a\[1\]` is Infinity/);
    refuses(() => saveTrainState(path, { step: 13, tensors: new Map(), meta: { a: undefined } }), "invalid_argument", /`meta\.a` is undefined, which JSON cannot store/);
    assert.equal(loadTrainState(path).step, 12, "refused saves left the old file in place");
    saveCheckpoint(join(dir, "model.safetensors"), { config: small, params: initParams(paramTable(small), 0), step: 0 });
    refuses(() => loadTrainState(join(dir, "model.safetensors")), "corrupt_file", /`__metadata__\.format` is "extrapos-checkpoint", expected "extrapos-train-state"/);
  });
});

test("a checkpoint of PyTorch's weights, reloaded, gives the reference loss PyTorch computed", () => {
  withDir((dir) => {
    const s = readTorchDebugState(fileURLToPath(new URL("../../test/fixtures/torch/alibi.safetensors", import.meta.url)));
    const path = join(dir, "model.safetensors");
    saveCheckpoint(path, { config: s.config, params: s.params, step: 0 });
    const back = loadCheckpoint(path, s.config);
    const loss = crossEntropy(referenceForward(back.config, back.params, s.inputIds, s.B, s.T), s.targets, back.config.vocabSize);
    assert.equal(loss, crossEntropy(referenceForward(s.config, s.params, s.inputIds, s.B, s.T), s.targets, s.config.vocabSize));
    assert.ok(Math.abs(loss - s.loss) < 2e-6, `${loss} vs ${s.loss}`); // tolerance as in reference.test.ts
  });
});

test("attention-only (mlp false): round trip with `mlp: false` in the metadata; a model with MLPs and a file that disagrees with its own config are refused", () => {
  withDir((dir) => {
    const path = join(dir, "model.safetensors"), withMlp = join(dir, "mlp.safetensors");
    const attnOnly = parseModelConfig({ d_model: 32, n_layers: 2, n_heads: 1, context_length: 16, pe: "rope", mlp: false });
    const params = initParams(paramTable(attnOnly), 4);
    saveCheckpoint(path, { config: attnOnly, params, step: 7 });
    const back = loadCheckpoint(path, attnOnly);
    assert.deepEqual(back.config, attnOnly);
    assert.deepEqual(loadCheckpoint(path).config, attnOnly);
    for (const [name, a] of params) assert.deepEqual(back.params.get(name), a, name);
    const { metadata, tensors } = readSafetensors(path);
    assert.equal(JSON.parse(metadata.config!).mlp, false);
    assert.ok(![...tensors.keys()].some((n) => /\.(ln2|mlp)\./.test(n)), "no ln2 / mlp tensors on disk");
    // the same sizes with MLPs, either way round: the tensor that differs, and `mlp` as the reason
    const full = parseModelConfig({ ...modelConfigToJson(attnOnly), mlp: true }, {});
    refuses(() => loadCheckpoint(path, full), "shape_mismatch",
      /checkpoint from another config: `blocks\.0\.ln2\.weight` is missing \(the config has it with shape \[32\]\) \(`mlp` is false in the checkpoint, true in the config\)$/);
    saveCheckpoint(withMlp, { config: full, params: initParams(paramTable(full), 4), step: 7 });
    refuses(() => loadCheckpoint(withMlp, attnOnly), "shape_mismatch",
      /checkpoint from another config: `blocks\.0\.ln2\.weight` is not a parameter of the config \(`mlp` is true in the checkpoint, false in the config\)$/);
    // a file whose metadata says `mlp: false` but which holds MLP tensors (and the reverse) is corrupt
    const fullTensors = readSafetensors(withMlp).tensors;
    const lying = join(dir, "lying.safetensors");
    writeSafetensors(lying, fullTensors, { ...metadata, config: JSON.stringify(modelConfigToJson(attnOnly)) });
    refuses(() => loadCheckpoint(lying), "corrupt_file", /`blocks\.0\.ln2\.weight` is not a parameter of the checkpoint's own config/);
    writeSafetensors(lying, tensors, { ...metadata, config: JSON.stringify(modelConfigToJson(full)) });
    refuses(() => loadCheckpoint(lying), "corrupt_file", /`blocks\.0\.ln2\.weight` is missing \(the checkpoint's own config has it with shape \[32\]\)/);
  });
});
