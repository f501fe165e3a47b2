import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { fillWindow, nonOverlappingWindows, RandomWindowSampler, scoredTokens, slidingWindows } from "./batches.js";

const iota = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

test("training windows: contiguous T+1 tokens, starts from the seeded Rng, every start reachable", () => {
  const N = 10, T = 3, B = 5;
  const tokens = iota(N).map((v) => v * 7 + 1); // distinct values, not equal to positions
  const s = new RandomWindowSampler(tokens, T, 42);
  const ref = new Rng(42); // the documented convention: start = rng.int(N − T), row after row
  const counts = new Array(N).fill(0);
  for (let step = 0; step < 1400; step++) {
    const { x, y } = s.next(B);
    for (let b = 0; b < B; b++) {
      const start = ref.int(N - T);
      counts[start]++;
      for (let t = 0; t < T; t++) {
        assert.equal(x[b * T + t], tokens[start + t]);
        assert.equal(y[b * T + t], tokens[start + t + 1]);
      }
    }
  }
  // 7000 draws over the 7 starts 0…6: each ≈ 1000 (binomial sd ≈ 29); starts 7…9 would overflow.
  for (let i = 0; i < N; i++) {
    if (i < N - T) assert.ok(Math.abs(counts[i] - 1000) < 150, `start ${i}: ${counts[i]}`);
    else assert.equal(counts[i], 0);
  }
});

test("sampler state survives JSON and resumes the exact sequence", () => {
  const tokens = iota(1000);
  const a = new RandomWindowSampler(tokens, 17, 7);
  for (let i = 0; i < 3; i++) a.next(4);
  const saved = JSON.parse(JSON.stringify(a.state()));
  const b = RandomWindowSampler.restore(tokens, saved);
  assert.equal(b.state().drawn, 12);
  for (let i = 0; i < 5; i++) assert.deepEqual(b.next(4), a.next(4));
  const c = new RandomWindowSampler(tokens, 17, 8);
  assert.notDeepEqual(c.next(4).x, new RandomWindowSampler(tokens, 17, 7).next(4).x);
  assert.throws(() => RandomWindowSampler.restore(tokens, { seqLen: 17, rng: [1, 2], drawn: 0 }), ExtraposError);
});

test("sampler refuses text shorter than T+1 and bad sizes, with one-line messages", () => {
  assert.throws(() => new RandomWindowSampler(iota(64), 64, 1), (e: unknown) => e instanceof ExtraposError && e.message === "the training text has 64 tokens, fewer than seq_len + 1 = 65");
  assert.doesNotThrow(() => new RandomWindowSampler(iota(65), 64, 1).next(2));
  assert.throws(() => new RandomWindowSampler(iota(65), 0, 1), /`seq_len` must be a positive integer, got 0/);
  assert.throws(() => new RandomWindowSampler(iota(65), 8, 1).next(0), /`batch` must be a positive integer/);
});

test("non-overlapping windows: hand-computed starts, ⌊(N−1)/L⌋ windows, tail dropped", () => {
  assert.deepEqual(nonOverlappingWindows(10, 4), [{ start: 0, scoreFrom: 0 }, { start: 4, scoreFrom: 0 }]); // 9 targets: 8 scored
  assert.deepEqual(nonOverlappingWindows(9, 4).map((w) => w.start), [0, 4]); // window 1 predicts x5…x8 = last token
  assert.deepEqual(nonOverlappingWindows(8, 4).map((w) => w.start), [0]);
  assert.deepEqual(nonOverlappingWindows(4, 4), []);
  assert.deepEqual(nonOverlappingWindows(0, 4), []);
  for (const [N, L] of [[1, 1], [2, 1], [17, 3], [129, 16], [1000, 129]] as const) {
    const w = nonOverlappingWindows(N, L);
    assert.equal(w.length, Math.floor((N - 1) / L));
    assert.equal(scoredTokens(w, L), Math.floor((N - 1) / L) * L);
  }
});

test("sliding windows: hand example, every target scored exactly once, stride L = non-overlapping", () => {
  // N = 10, L = 4, S = 2: starts 0, 2, 4 (6 + 4 > 9); targets 1–4, then 5–6, then 7–8.
  assert.deepEqual(slidingWindows(10, 4, 2), [{ start: 0, scoreFrom: 0 }, { start: 2, scoreFrom: 2 }, { start: 4, scoreFrom: 2 }]);
  const rng = new Rng(5);
  for (let trial = 0; trial < 200; trial++) {
    const L = 1 + rng.int(40), S = 1 + rng.int(L), N = rng.int(300);
    const windows = slidingWindows(N, L, S);
    const hits = new Array(N).fill(0);
    for (const w of windows) {
      assert.ok(w.start + L <= N - 1, "window complete");
      for (let p = w.scoreFrom; p < L; p++) hits[w.start + p + 1]++;
    }
    const M = windows.length === 0 ? 0 : windows[windows.length - 1]!.start + L;
    for (let j = 0; j < N; j++) assert.equal(hits[j], j >= 1 && j <= M ? 1 : 0, `N=${N} L=${L} S=${S} target ${j}`);
    // Maximal: the next window (start + S) would be incomplete, so fewer than S targets are left unscored.
    if (windows.length > 0) assert.ok(M + S > N - 1, `N=${N} L=${L} S=${S}: another window fits`);
    else assert.ok(L > N - 1);
    assert.equal(scoredTokens(windows, L), M);
    assert.deepEqual(slidingWindows(N, L, L), nonOverlappingWindows(N, L));
  }
  assert.throws(() => slidingWindows(100, 4, 5), /`stride` must be ≤ the window length 4, got 5/);
  assert.throws(() => slidingWindows(100, 0, 1), /`length` must be a positive integer/);
});

test("fillWindow copies inputs and shifted targets, refuses windows past the end", () => {
  const tokens = iota(12).map((v) => 100 + v);
  const x = new Int32Array(4), y = new Int32Array(4);
  fillWindow(tokens, { start: 4, scoreFrom: 0 }, 4, x, y);
  assert.deepEqual(Array.from(x), [104, 105, 106, 107]);
  assert.deepEqual(Array.from(y), [105, 106, 107, 108]);
  assert.throws(() => fillWindow(tokens, { start: 8, scoreFrom: 0 }, 4, x, y), ExtraposError);
});
