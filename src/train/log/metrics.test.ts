import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetricsWriter, readMetrics, truncateMetrics } from "./metrics.js";

test("metrics.jsonl: one JSON object per line, visible immediately, non-finite values as strings", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-metrics-"));
  try {
    const path = join(dir, "run", "metrics.jsonl");
    const m = new MetricsWriter(path);
    m.append({ step: 0, "train/loss": 5.5, lr: 1e-4 });
    assert.equal(readFileSync(path, "utf8"), '{"step":0,"train/loss":5.5,"lr":0.0001}\n', "written before close");
    m.append({ step: 10, "train/loss": NaN, "grad_norm": Infinity, note: "x" });
    m.close();
    assert.equal(readFileSync(path, "utf8").split("\n")[1], '{"step":10,"train/loss":"NaN","grad_norm":"Infinity","note":"x"}');
    const back = readMetrics(path);
    assert.equal(back.length, 2);
    assert.ok(Number.isNaN(back[1]!["train/loss"] as number));
    assert.equal(back[1]!["grad_norm"], Infinity);
    const again = new MetricsWriter(path); // appends, never truncates
    again.append({ step: 20, loss: 1 });
    again.close();
    assert.deepEqual(readMetrics(path).map((r) => r.step), [0, 10, 20]);
    assert.throws(() => again.append({ step: 30 }), /closed/);
    const bad = new MetricsWriter(join(dir, "b.jsonl"));
    assert.throws(() => bad.append({ step: -1 }), /`step` must be an integer ≥ 0, got -1/);
    assert.throws(() => bad.append({ step: 1, x: {} as unknown as number }), /must be a number or a string/);
    bad.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resume: a torn last line is ignored and steps after the checkpoint are dropped", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-metrics-"));
  try {
    const path = join(dir, "metrics.jsonl");
    const m = new MetricsWriter(path);
    for (const step of [0, 10, 20, 30]) m.append({ step, loss: 5 - step / 10 });
    m.close();
    appendFileSync(path, '{"step":40,"lo'); // kill -9 mid-write
    assert.deepEqual(readMetrics(path).map((r) => r.step), [0, 10, 20, 30]);
    assert.equal(truncateMetrics(path, 20), 3);
    assert.equal(readFileSync(path, "utf8"), '{"step":0,"loss":5}\n{"step":10,"loss":4}\n{"step":20,"loss":3}\n');
    assert.equal(truncateMetrics(join(dir, "none.jsonl"), 5), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
