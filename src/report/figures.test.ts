/**
 * The result figures' data handling: loss-by-position buckets (log-spaced, none straddling L, means checked
 * against a direct computation), the seed band, and the markers every method gets (issue 10: distinct dashes
 * and markers per method, sparse on dense lines).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { logBuckets, lossByPositionFigure, trainingCurvesFigure } from "./figures.js";
import { BENCH_METHODS, type BenchMethodName } from "./presets.js";
import type { BenchResults, MethodResult } from "./results.js";

test("logBuckets: half-octave buckets anchored at L, at least 8 positions, none straddling L; means of exactly their positions", () => {
  const loss = Array.from({ length: 2048 }, (_, p) => Math.sin(p) + p / 100);
  loss[3] = NaN; // a non-finite entry is left out of its bucket's mean
  const b = logBuckets(loss, 64, 2, 8);
  const ranges = b.from.map((f, i) => `${f}-${b.to[i]}`);
  // edges 64 · 2^(k/2) rounded: …, 8, (11: too narrow after 8), 16, (23), 32, 45, 64, 91, 128, 181, …, 1448, 2048
  assert.deepEqual(ranges, ["1-8", "9-16", "17-32", "33-45", "46-64", "65-91", "92-128", "129-181", "182-256", "257-362", "363-512", "513-724", "725-1024", "1025-1448", "1449-2048"]);
  assert.ok(b.to.includes(64), "a bucket ends at L: none mixes positions within and beyond the training length");
  b.from.forEach((f, i) => {
    const to = b.to[i]!;
    let s = 0, n = 0;
    for (let p = f - 1; p < to; p++) if (Number.isFinite(loss[p]!)) { s += loss[p]!; n++; }
    assert.ok(Math.abs(b.y[i]! - s / n) < 1e-12, `bucket ${f}-${to}`);
    assert.equal(b.x[i], (f + to) / 2, "x: the mean 1-based position");
  });
  // a short curve: the anchor is kept even when the bucket after it would be narrow; the last bucket is never empty
  const s = logBuckets(Array.from({ length: 70 }, () => 1), 64, 2, 8);
  assert.deepEqual(s.from.map((f, i) => `${f}-${s.to[i]}`), ["1-8", "9-16", "17-32", "33-45", "46-64", "65-70"]);
});

function method(name: BenchMethodName, seeds: number[], shift: number): MethodResult {
  const m = BENCH_METHODS[name];
  return {
    name, kind: m.kind, base: m.kind === "eval-variant" ? m.base : null, summary: m.summary, model: {}, status: "ok", positions: "plain", passkey_learned: null, errors: [],
    eval: [{ length: 256, ppl: 10, ppl_std: null, loss: Math.log(10), tokens: 1024 }] as unknown as MethodResult["eval"],
    seeds: seeds.map((seed) => ({
      seed, status: "done", error: null,
      train: { steps: 200, final_train_loss: 2, final_valid_loss: 2, wall_seconds: 1, tokens_per_second: 1, curve: { step: Array.from({ length: 200 }, (_, i) => i + 1), train_loss: Array.from({ length: 200 }, (_, i) => 3 - i / 200 + shift), valid_loss: Array.from({ length: 200 }, () => NaN) } },
      eval: [{ length: 256, ppl: 10, loss: Math.log(10), passkey_acc: null, passkey_token_acc: null, tokens: 1024 }],
      loss_per_position: { length: 256, loss: Array.from({ length: 256 }, (_, p) => 2 + shift + seed * 0.1 + (p >= 16 ? 1 : 0)) },
    })),
  };
}

function results(methods: MethodResult[]): BenchResults {
  return {
    schema: "extrapos.bench/2", train_len: 16, eval_lens: [16, 256], preset: "test", seeds: [0, 1], command: "", config: {}, versions: {}, machine: {},
    wall_seconds: 0, generated: "", best_per_length: [], methods,
  } as BenchResults;
}

test("loss by position: a point per bucket (mean over seeds, band ± their std), a marker on every point, the caption says what is averaged", () => {
  const f = lossByPositionFigure(results([method("rope", [0, 1], 0), method("xpos", [0, 1], 0.5)]))!;
  assert.ok(f);
  // 256 positions, L = 16: 1–8, 9–16, 17–32 (23 would leave 7), 33–45, 46–64, 65–91, 92–128, 129–181, 182–256
  const paths = [...f.svg.matchAll(/<path d="([^"]+)" fill="none"/g)].map((m) => m[1]!.split(/[ML]/).filter(Boolean).length);
  assert.deepEqual(paths, [9, 9]);
  // rope, first of the rotary family: solid, circles; xPos, second: dashed "7 3", squares — a marker on each point
  assert.equal((f.svg.match(/<circle [^>]*fill="#a50f15"/g) ?? []).length, 9 + 1, "rope: its 9 points and its legend entry");
  assert.equal((f.svg.match(/<rect x="[\d.]+" y="[\d.]+" width="7" height="7" fill="#e6550d"/g) ?? []).length, 9 + 1, "xpos: squares");
  assert.ok(f.svg.includes('stroke="#e6550d" stroke-width="1.8" stroke-dasharray="7 3"'), "xpos dashed");
  assert.equal((f.svg.match(/fill-opacity="0.13"/g) ?? []).length, 2, "a seed band per method (the seeds differ by 0.1)");
  assert.match(f.caption, /1–8, 9–16 up to L/);
  assert.match(f.caption, /4 windows of 256 tokens the evaluation scored, averaged over 2 seeds/);
});

test("training curves: dashes and markers per method, sparse on the dense training curve (at most one per 60 px)", () => {
  const f = trainingCurvesFigure(results([method("rope", [0], 0), method("xpos", [0], 0.2)]));
  assert.ok(f.svg.includes('stroke="#e6550d" stroke-width="1.8" stroke-dasharray="7 3"'), "xpos dashed");
  // 200 logged steps over the 920 px plot: about 920 / 60 ≈ 15 markers (fewer when the series' stagger starts them
  // up to 60 px in), not 200; + the legend entries of both panels
  const squares = (f.svg.match(/<rect x="[\d.]+" y="[\d.]+" width="7" height="7" fill="#e6550d"/g) ?? []).length;
  assert.ok(squares >= 14 + 2 && squares <= 16 + 2, `${squares} squares`);
  const circles = (f.svg.match(/<circle [^>]*fill="#a50f15"/g) ?? []).length;
  assert.ok(circles >= 14 + 2 && circles <= 16 + 2, `${circles} circles`);
});

test("task figure: associative recall's panel draws the no-lookup level of each band (recallGuessRate) as a dotted segment over the band", async () => {
  const { resolveTaskSuitePlan, taskBands, taskFigure, recallGuessRate, bandLengths } = await import("./task-suite.js");
  const plan = resolveTaskSuitePlan({ tasks: ["copy", "associative-recall"], methods: ["rope"], seeds: 1, cores: 1 });
  const cells = plan.tasks.map((task) => ({
    task, method: "rope", status: "ok" as const, errors: [], positions: "plain" as const, final_train_loss: [1],
    bands: taskBands(plan, task).map((band) => ({ band, token_accuracy: 0.5, token_accuracy_std: null, token_accuracy_ci95: [0.45, 0.55] as [number, number], exact: 0.1, exact_std: null, n_seeds: 1, p_vs_best: null, test_vs_best: null, tie_with_best: null })),
  }));
  const svg = taskFigure({ schema: "extrapos.tasks/5", command: "", plan, cells, versions: {}, machine: {}, wall_seconds: 0, generated: "" });
  const [copyPanel, recallPanel] = svg.split('<g transform="translate(0 ').slice(1);
  const segments = (p: string) => [...p.matchAll(/<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="([\d.]+)" stroke="#555" stroke-width="1.6" stroke-dasharray="1 3"/g)];
  assert.equal(segments(copyPanel!).length, 0, "copy: no such level");
  const bands = taskBands(plan, "associative-recall");
  const levels = bands.map((b) => recallGuessRate(bandLengths(b, plan.lengthsPerBand)));
  const seg = segments(recallPanel!);
  assert.equal(seg.length, bands.length, "one segment per band");
  // y axis [0, 1] widened 4 %, plot from 34 to 420 − 50: a level v sits at 370 − (v + 0.04) / 1.08 · 336
  seg.forEach((m, i) => assert.ok(Math.abs(Number(m[1]) - (370 - ((levels[i]! + 0.04) / 1.08) * 336)) < 0.01, `band ${bands[i]}: level ${levels[i]}`));
  assert.ok(recallPanel!.includes(">no lookup</text>"));
});
