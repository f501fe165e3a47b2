import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseModelConfig } from "../model/config.js";
import { saveCheckpoint } from "../model/checkpoint.js";
import { initParams, paramTable } from "../model/params.js";
import { relativePositionBucket } from "../pe/t5.js";
import { resolvePlan } from "../report/plan.js";
import { trainedEncodingFigure } from "./bench-trained.js";

const plan = resolvePlan({ methods: ["kerple", "t5"], threads: 1 }); // L = 64, lengths up to 2048, d 64, 4 heads

function checkpoint(dir: string, pe: Record<string, unknown>, set: Record<string, number[]>): string {
  const cfg = parseModelConfig({ d_model: 64, n_layers: 2, n_heads: 4, context_length: 64, pe });
  const params = initParams(paramTable(cfg), 0);
  for (const [name, v] of Object.entries(set)) params.set(name, Float32Array.from(v));
  const runDir = join(dir, String(pe.kind));
  mkdirSync(runDir);
  saveCheckpoint(join(runDir, "model.safetensors"), { config: cfg, params, step: 600 });
  return runDir;
}

test("kerple drawn as trained: the curve is −r1·ln(1 + r2·d) with the checkpoint's layer-1 r1, r2 (by hand), not the init", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-trained-"));
  try {
    const r1 = [0.5, 1, 2, 4], r2 = [0.25, 0.5, 1, 2];
    const f = trainedEncodingFigure(plan, "kerple", checkpoint(dir, { kind: "kerple", kernel: "log" }, { "blocks.0.attn.pe.r1": r1, "blocks.0.attn.pe.r2": r2 }))!;
    assert.equal(f.method, "kerple");
    assert.match(f.note, /after 600 training steps/);
    assert.equal(f.curve.series.length, 4);
    assert.equal(f.curve.xScale, "log");
    for (const [h, s] of f.curve.series.entries()) {
      for (const d of [1, 10, 64, 2048]) {
        const want = -Math.fround(r1[h]!) * Math.log(1 + Math.fround(r2[h]!) * d);
        assert.ok(Math.abs(s.y[d - 1]! - want) < 1e-12, `head ${h}, d ${d}: ${s.y[d - 1]} vs ${want}`);
      }
    }
    assert.equal(f.heatmap.logX![0], 1);
    assert.equal(f.heatmap.logX!.at(-1), 2048);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("t5 drawn as trained: the bias at distance d is the checkpoint's value of d's causal bucket; no checkpoint → null", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-trained-"));
  try {
    const bias = Array.from({ length: 32 * 4 }, (_, i) => i / 100); // [bucket, head] = (4·bucket + head) / 100
    const f = trainedEncodingFigure(plan, "t5", checkpoint(dir, { kind: "t5" }, { "pe.t5.bias": bias }))!;
    for (const [h, s] of f.curve.series.entries()) {
      for (const d of [1, 7, 16, 20, 100, 128, 2048]) {
        const b = relativePositionBucket(-d, { bidirectional: false, numBuckets: 32, maxDistance: 128 });
        assert.ok(Math.abs(s.y[d - 1]! - Math.fround((4 * b + h) / 100)) < 1e-12);
      }
    }
    assert.equal(trainedEncodingFigure(plan, "t5", join(dir, "missing")), null);
    assert.equal(trainedEncodingFigure(plan, "alibi", join(dir, "t5")), null, "alibi has nothing learned to draw");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
