import { test } from "node:test";
import assert from "node:assert/strict";
import { alibiBias, alibiDistanceTable, alibiSlopes } from "./alibi.js";
import { biasFromDistanceTable, biasFromDistanceTableBackward } from "./distance-table.js";
import { assertClose } from "../testing/assert-close.js";
import { fixture, randomArray } from "./testing.js";

// Goldens: test/fixtures/pe/alibi.json from python3 with make_fixtures.py, which transcribes ofirpress'
// get_slopes (fairseq/models/transformer.py L742).
const fx = fixture("alibi.json");

test("slopes equal the reference's get_slopes (to 2e-14 relative) for every head count in the fixture", () => {
  for (const [h, slopes] of Object.entries(fx.slopes as Record<string, number[]>)) {
    // the reference's start^i amplifies the rounding of start = 2^(−8/H) i-fold (≤ i/2 ulp); ours is 2^(−8k/H)
    // evaluated directly. Up to H = 128 that is < 64 ulp ≈ 1.4e-14 relative.
    assertClose(`H=${h}`, alibiSlopes(Number(h)), slopes, 0, 2e-14);
  }
});

test("paper anchors (reference doc §6): H=8 → 1/2..1/256; H=12 tail; H=16 → 2^(−k/2)", () => {
  // computed by hand from 2^(−8k/H)
  assertClose("values", alibiSlopes(8), Array.from({ length: 8 }, (_, k) => 2 ** -(k + 1)), 0, 0);
  assertClose("values", alibiSlopes(12).slice(8), [0.707107, 0.353553, 0.176777, 0.088388], 5e-7, 0);
  assertClose("values", alibiSlopes(12).slice(0, 8), alibiSlopes(8), 0, 0);
  assertClose("values", alibiSlopes(16), Array.from({ length: 16 }, (_, k) => 2 ** (-(k + 1) / 2)), 0, 1e-15);
});

test("slopes are geometric for powers of two (ratio = first slope = 2^(−8/H))", () => {
  for (const h of [1, 2, 4, 8, 16, 32, 64]) {
    const s = alibiSlopes(h);
    assertClose("values", [s[0]!], [2 ** (-8 / h)], 0, 1e-15);
    for (let i = 1; i < h; i++) assertClose("values", [s[i]! / s[i - 1]!], [s[0]!], 0, 1e-13);
  }
});

test("causal bias = −m·(i − j) below the diagonal, 0 above; symmetric = −m·|i − j|", () => {
  const s = alibiSlopes(2); // [1/16, 1/256]
  const c = alibiBias(s, [0, 1, 2], [0, 1, 2]);
  assertClose("values", c, [0, 0, 0, -1 / 16, 0, 0, -2 / 16, -1 / 16, 0, 0, 0, 0, -1 / 256, 0, 0, -2 / 256, -1 / 256, 0], 0, 0);
  const b = alibiBias(s, [0, 1, 2], [0, 1, 2], "symmetric");
  assertClose("values", b.slice(0, 9), [0, -1 / 16, -2 / 16, -1 / 16, 0, -1 / 16, -2 / 16, -1 / 16, 0], 0, 0);
  // any positions (KV cache: one query at 100 against keys 97..100)
  assertClose("values", alibiBias(Float64Array.of(0.5), [100], [97, 98, 99, 100]), [-1.5, -1, -0.5, 0], 0, 0);
});

test("within a causal row, −m(i−j) and the fairseq ramp +m·j differ by a constant (same softmax)", () => {
  const s = alibiSlopes(4), T = 9;
  const q = Array.from({ length: T }, (_, i) => i);
  const b = alibiBias(s, q, q);
  for (let h = 0; h < 4; h++) for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) {
    assertClose("values", [b[(h * T + i) * T + j]! - s[h]! * j], [-s[h]! * i], 1e-15, 0);
  }
});

test("distance-table gather: backward is the adjoint of forward (odd sizes, both modes)", () => {
  for (const mode of ["causal", "symmetric"] as const) {
    for (const [H, q, k] of [[1, [0], [0]], [3, [0, 1, 2], [0, 1, 2]], [2, [5, 7, 16], [0, 3, 7, 9, 16]]] as const) {
      const D = 16, table = randomArray(H * (D + 1), 3), dB = randomArray(H * q.length * k.length, 4);
      const y = biasFromDistanceTable(table, H, D, q, k, mode);
      const g = biasFromDistanceTableBackward(dB, H, D, q, k, mode);
      let lhs = 0, rhs = 0;
      y.forEach((v, i) => (lhs += v * dB[i]!));
      g.forEach((v, i) => (rhs += v * table[i]!));
      assertClose(`${mode} H=${H}`, [lhs], [rhs], 1e-12, 1e-12);
    }
  }
  assert.throws(() => biasFromDistanceTable(alibiDistanceTable(alibiSlopes(1), 2), 1, 2, [5], [0], "causal"), /covers distances 0..2, but the positions need 5/);
});

test("bad input: heads 0, non-integer heads", () => {
  assert.throws(() => alibiSlopes(0), /`heads` must be an integer ≥ 1, got 0/);
  assert.throws(() => alibiSlopes(2.5), /`heads`/);
});
