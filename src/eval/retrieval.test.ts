import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../pe/random.js";
import { fakeModel } from "./testing.js";
import { retrievalGain, retrievalSegment, retrievalWindows } from "./retrieval.js";

const tokens = (() => { const r = new Rng(5); return Int32Array.from({ length: 5000 }, () => r.int(256)); })();

test("retrieval windows: S · F · S with the copies n − s apart; targets only on the second copy's tokens 2 … s", () => {
  const n = 64, s = retrievalSegment(n);
  assert.equal(s, 16);
  const w = retrievalWindows(tokens, n, 4, 1);
  assert.deepEqual(Array.from(w.real.subarray(n - s, n)), Array.from(w.real.subarray(0, s)), "the second copy repeats the first");
  assert.deepEqual(Array.from(w.control.subarray(s)), Array.from(w.real.subarray(s)), "control differs only in the first segment");
  assert.notDeepEqual(Array.from(w.control.subarray(0, s)), Array.from(w.real.subarray(0, s)));
  const scored = [...w.targets.entries()].filter(([, t]) => t >= 0).map(([p]) => p);
  assert.deepEqual(scored, Array.from({ length: s - 1 }, (_, k) => n - s + k));
  scored.forEach((p) => assert.equal(w.targets[p], w.real[p + 1]));
});

test("retrieval gain: a perfect copier gains the fraction of copied tokens the control segment lacks; a model blind to the first segment gains 0", () => {
  const n = 128, s = retrievalSegment(n), trials = 6;
  // copier: NLL 0 when the target token occurs in the window's first s tokens, else 1
  const copier = fakeModel({ nll: (b) => Float64Array.from({ length: b.T }, (_, p) => (b.inputs.subarray(0, s).includes(b.targets[p]!) ? 0 : 1)) });
  let want = 0;
  for (let i = 0; i < trials; i++) {
    const w = retrievalWindows(tokens, n, trials, i);
    const scored = [...w.targets].filter((t) => t >= 0);
    want += scored.filter((t) => !w.control.subarray(0, s).includes(t)).length / scored.length / trials;
  }
  const r = retrievalGain(copier, tokens, n, { trials });
  assert.ok(Math.abs(r.gain - want) < 1e-12 && want > 0.8, `${r.gain} vs ${want}`);
  assert.ok(r.ci95[0] <= r.gain && r.gain <= r.ci95[1]);
  // blind: NLL depends only on the target token → identical in real and control
  const blind = fakeModel({ nll: (b) => Float64Array.from({ length: b.T }, (_, p) => (b.targets[p]! % 7) / 7) });
  assert.equal(retrievalGain(blind, tokens, n, { trials }).gain, 0);
});
