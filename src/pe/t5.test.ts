import { test } from "node:test";
import assert from "node:assert/strict";
import { relativePositionBucket, t5BiasBackward, t5BiasForward, t5Buckets } from "./t5.js";
import { assertClose } from "../testing/assert-close.js";
import { dot, finiteDifference } from "../testing/finite-difference.js";
import { fixture, randomArray } from "./testing.js";

// Goldens: test/fixtures/pe/t5.json from python3 + torch with make_fixtures.py, which transcribes
// x-transformers' _relative_position_bucket (= HF T5, float32 log as the reference).
const fx = fixture("t5.json");

test("buckets equal the reference for 5 configurations × {bidirectional, causal} over 611 relative positions", () => {
  for (const c of fx.cases) {
    const o = { bidirectional: c.bidirectional, numBuckets: c.numBuckets, maxDistance: c.maxDistance };
    const got = (fx.relative as number[]).map((r) => relativePositionBucket(r, o));
    assert.deepEqual(got, c.buckets, `B=${c.numBuckets} maxDistance=${c.maxDistance} bidirectional=${c.bidirectional}`);
  }
});

test("reference doc §6 anchors: causal, B=32, maxDistance=128: n < 16 exact, n = 128 → 31", () => {
  for (let n = 0; n < 16; n++) assert.equal(relativePositionBucket(-n, { bidirectional: false }), n);
  assert.equal(relativePositionBucket(-128, { bidirectional: false }), 31);
  assert.equal(relativePositionBucket(-100000, { bidirectional: false }), 31);
  assert.equal(relativePositionBucket(7, { bidirectional: false }), 0); // future keys all share bucket 0
  // bidirectional: keys after the query use the upper half (hand: B/2 = 16 + n for n < 8)
  assert.equal(relativePositionBucket(3, { bidirectional: true }), 19);
  assert.equal(relativePositionBucket(-3, { bidirectional: true }), 3);
});

test("monotone in |distance| and exact below maxExact, for several configurations", () => {
  for (const [B, md, bi] of [[32, 128, false], [32, 128, true], [8, 20, false], [64, 1000, true]] as const) {
    const o = { numBuckets: B, maxDistance: md, bidirectional: bi };
    const maxExact = (bi ? B / 2 : B) / 2;
    for (const sign of bi ? [1, -1] : [-1]) {
      let prev = -1;
      for (let n = 0; n < 3 * md; n++) {
        const b = relativePositionBucket(sign * n, o);
        if (n < maxExact) assert.equal(b - (bi && sign > 0 && n > 0 ? B / 2 : 0), n, `exact n=${n}`);
        if (n > 0) assert.ok(b >= prev, `monotone at n=${n}`);
        prev = b;
      }
    }
  }
});

test("t5Buckets matrix uses relative = key − query", () => {
  assert.deepEqual(Array.from(t5Buckets([0, 1, 2], [0, 1, 2], { bidirectional: false })), [0, 0, 0, 1, 0, 0, 2, 1, 0]);
});

test("bias lookup and its backward (finite differences on the table; odd sizes)", () => {
  for (const [B, H, T] of [[4, 1, 1], [8, 3, 5], [32, 2, 17]] as const) {
    const pos = Array.from({ length: T }, (_, i) => i * 3);
    const buckets = t5Buckets(pos, pos, { bidirectional: true, numBuckets: B, maxDistance: 40 });
    const table = randomArray(B * H, 5), G = randomArray(H * T * T, 6);
    const bias = t5BiasForward(table, B, H, buckets, T, T);
    for (let h = 0; h < H; h++) for (let e = 0; e < T * T; e++) assert.equal(bias[h * T * T + e], table[buckets[e]! * H + h]);
    const dTable = t5BiasBackward(G, B, H, buckets, T, T);
    for (let i = 0; i < table.length; i++) {
      const fd = finiteDifference(() => dot(t5BiasForward(table, B, H, buckets, T, T), G), { get: () => table[i]!, set: (v) => (table[i] = v) }, 1e-6);
      assertClose(`dTable[${i}]`, [dTable[i]!], [fd], 1e-8, 1e-7);
    }
  }
});

test("bad input: too few buckets, maxDistance ≤ maxExact, out-of-range bucket ids", () => {
  assert.throws(() => relativePositionBucket(1, { bidirectional: true, numBuckets: 2 }), /`numBuckets`/);
  assert.throws(() => relativePositionBucket(1, { bidirectional: false, numBuckets: 32, maxDistance: 16 }), /`maxDistance` must be > 16/);
  assert.throws(() => relativePositionBucket(1.5, { bidirectional: false }), /`relative` must be an integer/);
  assert.throws(() => relativePositionBucket(1, { bidirectional: false, num_buckets: 32 } as never), /unknown key `num_buckets`/);
  assert.throws(() => t5BiasForward(new Float64Array(4), 4, 1, Int32Array.of(4), 1, 1), /`buckets\[0\]`/);
});
