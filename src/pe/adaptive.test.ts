import { test } from "node:test";
import assert from "node:assert/strict";
import { adaptiveFractions, adaptivePositions, adaptiveTable, adaptiveTableAt } from "./adaptive.js";
import { sinusoidalColumn } from "./sinusoidal.js";
import { assertClose } from "../testing/assert-close.js";

// The adaptive encoding has no reference implementation (the seed gives only the equation), so these tests check
// the equation itself (by hand) and every property docs/encodings.md claims.

test("the seed's equation, by hand: d = 2, L = 8 → angle = 2π·pos/8", () => {
  const t = adaptiveTable(8, { dim: 2 });
  for (let p = 0; p < 8; p++) assertClose("values", [t[2 * p]!, t[2 * p + 1]!], [Math.sin((2 * Math.PI * p) / 8), Math.cos((2 * Math.PI * p) / 8)], 1e-15, 0);
});

test("fractions f_i: f_0 = 1, f_{K−1} = minPeriod/L, geometric in between (hand-computed for d = 8, L = 64)", () => {
  // (4/64)^(i/3) = 16^(−i/3): 1, 0.39685, 0.15749, 0.0625
  assertClose("values", adaptiveFractions(8, 64), [1, Math.pow(16, -1 / 3), Math.pow(16, -2 / 3), 0.0625], 0, 1e-15);
  const f = adaptiveFractions(16, 1000, 5);
  const ratio = f[1]! / f[0]!;
  for (let i = 1; i < f.length; i++) assertClose("values", [f[i]! / f[i - 1]!], [ratio], 0, 1e-12);
  assertClose("values", [f[f.length - 1]! * 1000], [5], 0, 1e-12);
});

test("slowest pair turns exactly once over L; fastest pair advances 2π/minPeriod per token", () => {
  for (const [L, d, m] of [[17, 6, 4], [128, 16, 4], [1000, 32, 7]] as const) {
    const t = adaptiveTableAt([0, 1, L], L, { dim: d, minPeriod: m });
    const s0 = sinusoidalColumn("interleaved", "sin", 0, d / 2), c0 = s0 + 1;
    assertClose("values", [t[2 * d + s0]!, t[2 * d + c0]!], [0, 1], 1e-12, 0); // PE_0(L) = PE_0(0)
    const k = d / 2 - 1;
    const angle = Math.atan2(t[d + 2 * k]!, t[d + 2 * k + 1]!); // fastest pair at pos 1
    assertClose("values", [angle], [(2 * Math.PI) / m], 1e-12, 0);
  }
});

test("positions 0..L−1 all get distinct encodings (min distance ≥ the slowest pair's chord 2·sin(π/L))", () => {
  for (const [L, d] of [[16, 4], [64, 8], [300, 16]] as const) {
    const t = adaptiveTable(L, { dim: d });
    let minD = Infinity;
    for (let a = 0; a < L; a++) {
      for (let b = a + 1; b < L; b++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += (t[a * d + c]! - t[b * d + c]!) ** 2;
        minD = Math.min(minD, Math.sqrt(s));
      }
    }
    assert.ok(minD >= 2 * Math.sin(Math.PI / L) - 1e-12, `L=${L}: min distance ${minD}`);
  }
});

test("every row has norm √(d/2) (one unit sin/cos pair per frequency)", () => {
  const t = adaptiveTable(33, { dim: 10 });
  for (let r = 0; r < 33; r++) {
    let s = 0;
    for (let c = 0; c < 10; c++) s += t[r * 10 + c]! ** 2;
    assertClose("values", [s], [5], 1e-12, 0);
  }
});

test("sequence mode: L follows the sequence length, so the slowest pair at the last token is the same for every T", () => {
  for (const T of [8, 64, 512]) {
    const { L } = adaptivePositions(T);
    assert.equal(L, T);
    const t = adaptiveTable(T, { dim: 4 });
    const last = (T - 1) * 4;
    assertClose("values", [t[last]!, t[last + 1]!], [Math.sin((2 * Math.PI * (T - 1)) / T), Math.cos((2 * Math.PI * (T - 1)) / T)], 1e-12, 0);
  }
  // normalised positions pos/L of a 2T sequence at even positions equal those of a T sequence: slowest pair agrees
  const a = adaptiveTable(50, { dim: 6 }), b = adaptiveTable(100, { dim: 6 });
  for (let p = 0; p < 50; p++) assertClose("values", [b[2 * p * 6]!, b[2 * p * 6 + 1]!], [a[p * 6]!, a[p * 6 + 1]!], 1e-12, 0);
});

test("fixed mode with L = T equals sequence mode; beyond L the slowest pair wraps around", () => {
  assertClose("values", adaptiveTable(40, { dim: 8, length: { kind: "fixed", length: 40 } }), adaptiveTable(40, { dim: 8 }), 0, 0);
  const t = adaptiveTable(50, { dim: 8, length: { kind: "fixed", length: 20 } });
  assertClose("values", [t[25 * 8]!, t[25 * 8 + 1]!], [t[5 * 8]!, t[5 * 8 + 1]!], 1e-12, 0);
});

test("window mode: the last token is always at W − 1; T ≤ W equals fixed(W)", () => {
  assert.deepEqual(Array.from(adaptivePositions(6, { kind: "window", window: 4 }).positions), [-2, -1, 0, 1, 2, 3]);
  assert.deepEqual(Array.from(adaptivePositions(3, { kind: "window", window: 4 }).positions), [0, 1, 2]);
  const w = { kind: "window", window: 16 } as const;
  assertClose("values", adaptiveTable(10, { dim: 4, length: w }), adaptiveTable(10, { dim: 4, length: { kind: "fixed", length: 16 } }), 0, 0);
  // the last 16 rows of a 40-token sequence equal a 16-token sequence
  const long = adaptiveTable(40, { dim: 4, length: w }), short = adaptiveTable(16, { dim: 4, length: w });
  assertClose("values", long.slice(24 * 4), short, 0, 0);
});

test("short sequences (L < minPeriod) are well defined: all periods equal L", () => {
  assertClose("values", adaptiveFractions(6, 2), [1, 1, 1], 0, 0);
  assert.equal(adaptiveTable(1, { dim: 4 }).length, 4);
});

test("concat layout is the same values permuted", () => {
  const a = adaptiveTable(20, { dim: 6 }), b = adaptiveTable(20, { dim: 6, layout: "concat" });
  for (let r = 0; r < 20; r++) for (let i = 0; i < 3; i++) {
    assert.equal(a[r * 6 + 2 * i], b[r * 6 + i]);
    assert.equal(a[r * 6 + 2 * i + 1], b[r * 6 + 3 + i]);
  }
});

test("bad input is refused", () => {
  assert.throws(() => adaptiveTable(4, { dim: 5 }), /`dim` must be even/);
  assert.throws(() => adaptiveTable(4, { dim: 4, minPeriod: 2 }), /`minPeriod`/);
  assert.throws(() => adaptiveTable(0, { dim: 4 }), /`seqLen`/);
  assert.throws(() => adaptiveTable(4, { dim: 4, length: { kind: "window", window: 0 } }), /`window`/);
  assert.throws(() => adaptiveTable(4, { dim: 4, length: { kind: "fixed", length: 8, extra: 1 } as never }), /unknown key `extra`/);
  assert.throws(() => adaptiveTable(4, { dim: 4, length: { kind: "elastic" } as never }), /`length.kind`/);
});
