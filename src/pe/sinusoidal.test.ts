import { test } from "node:test";
import assert from "node:assert/strict";
import { sinusoidalColumn, sinusoidalFrequencies, sinusoidalTable, type SinusoidalSpacing } from "./sinusoidal.js";
import { ExtraposError } from "./errors.js";
import { assertClose } from "../testing/assert-close.js";
import { fixture } from "./testing.js";

// Goldens: test/fixtures/pe/sinusoidal.json, from python3 + torch (float64) with make_fixtures.py, which transcribes
// the PyTorch tutorial / seed PositionalEncoding, tensor2tensor get_timing_signal_1d and Transformer-XL PositionalEmbedding.
const fx = fixture("sinusoidal.json");

test("interleaved + vaswani matches the PyTorch tutorial (the seed's module)", () => {
  const g = fx.tutorial_interleaved_vaswani;
  assert.equal(g.dim, 6); // input sanity: the golden assumes d = 6, 7 positions, base 10000
  assertClose("values", sinusoidalTable(g.positions, { dim: g.dim }), g.table, 1e-14, 1e-13);
});

test("concat + t2t matches tensor2tensor for even and odd d (odd: zero last column)", () => {
  for (const key of ["t2t_concat_d8", "t2t_concat_d7"]) {
    const g = fx[key];
    const t = sinusoidalTable(g.positions, { dim: g.dim, layout: "concat", spacing: "t2t" });
    assertClose(key, t, g.table, 1e-14, 1e-13);
  }
  const odd = sinusoidalTable(5, { dim: 7, layout: "concat", spacing: "t2t" });
  for (let r = 0; r < 5; r++) assert.equal(odd[r * 7 + 6], 0);
});

test("concat + vaswani matches Transformer-XL's PositionalEmbedding", () => {
  const g = fx.transformer_xl_concat_vaswani;
  assertClose("values", sinusoidalTable(g.positions, { dim: g.dim, layout: "concat" }), g.table, 1e-14, 1e-13);
});

test("large positions stay accurate in float64", () => {
  const g = fx.tutorial_interleaved_large_positions;
  // angle = 1e5·ω; ω differs from torch's exp(−2i·ln(1e4)/d) by ≤ 1 ulp → angle error ≤ ~1e-11
  assertClose("values", sinusoidalTable(g.positions, { dim: g.dim }), g.table, 1e-10, 0);
});

test("hand-computed values: d = 4, position 1 → [sin 1, cos 1, sin 0.01, cos 0.01]", () => {
  // computed by hand from the formula: ω = 10000^(−0/4) = 1, 10000^(−2/4) = 0.01
  assertClose("values", sinusoidalTable([1], { dim: 4 }), [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)], 0, 0);
  // t2t with d = 4: increment ln(1e4)/1 → ω = [1, 1e-4]
  assertClose("values", sinusoidalFrequencies(4, 10000, "t2t").sin, [1, 1e-4], 0, 1e-15);
  // t2t with d = 2: max(d/2 − 1, 1) = 1 keeps it finite (fairseq divides by 0 there)
  assertClose("values", sinusoidalFrequencies(2, 10000, "t2t").sin, [1], 0, 0);
});

test("the two layouts are a fixed column permutation of each other (odd and even d, both spacings)", () => {
  for (const dim of [1, 2, 3, 7, 8, 17]) {
    for (const spacing of ["vaswani", "t2t"] as SinusoidalSpacing[]) {
      const a = sinusoidalTable(9, { dim, spacing });
      const b = sinusoidalTable(9, { dim, spacing, layout: "concat" });
      const { sin, cos } = sinusoidalFrequencies(dim, 10000, spacing);
      const perm = new Array<number>(dim).fill(-1);
      sin.forEach((_, i) => (perm[sinusoidalColumn("interleaved", "sin", i, sin.length)] = sinusoidalColumn("concat", "sin", i, sin.length)));
      cos.forEach((_, i) => (perm[sinusoidalColumn("interleaved", "cos", i, sin.length)] = sinusoidalColumn("concat", "cos", i, sin.length)));
      for (let c = 0; c < dim; c++) if (perm[c] === -1) perm[c] = c; // t2t's zero column stays last
      assert.deepEqual([...perm].sort((x, y) => x - y), Array.from({ length: dim }, (_, i) => i), "a permutation");
      for (let r = 0; r < 9; r++) for (let c = 0; c < dim; c++) assert.equal(a[r * dim + c], b[r * dim + perm[c]!], `d=${dim} ${spacing} r=${r} c=${c}`);
    }
  }
});

test("odd d, interleaved vaswani: the paper's formula (an extra sine column base^(−(d−1)/d))", () => {
  const t = sinusoidalTable([3], { dim: 5 });
  assertClose("values", [t[4]!], [Math.sin(3 * Math.pow(10000, -4 / 5))], 0, 1e-15);
});

test("PE(p + k) is a fixed rotation of PE(p) in every pair (the relative-position property)", () => {
  const d = 8, k = 5;
  const { sin: w } = sinusoidalFrequencies(d);
  const t = sinusoidalTable(40, { dim: d });
  for (let p = 0; p + k < 40; p++) {
    for (let i = 0; i < d / 2; i++) {
      const s = t[p * d + 2 * i]!, c = t[p * d + 2 * i + 1]!;
      const rs = s * Math.cos(k * w[i]!) + c * Math.sin(k * w[i]!);
      const rc = c * Math.cos(k * w[i]!) - s * Math.sin(k * w[i]!);
      assertClose("values", [t[(p + k) * d + 2 * i]!, t[(p + k) * d + 2 * i + 1]!], [rs, rc], 1e-13, 0);
    }
  }
});

test("bad input is refused with a message naming the field", () => {
  assert.throws(() => sinusoidalTable(3, { dim: 0 }), (e: unknown) => e instanceof ExtraposError && /`dim`/.test(e.message));
  assert.throws(() => sinusoidalTable(-1, { dim: 4 }), /`positions`/);
  assert.throws(() => sinusoidalTable(3, { dim: 4, base: -1 }), /`base`/);
  assert.throws(() => sinusoidalTable(3, { dim: 4, layout: "half" as never }), /`layout`/);
  assert.throws(() => sinusoidalTable([0, NaN], { dim: 4 }), /`positions\[1\]`/);
  assert.throws(() => sinusoidalTable(3, { dim: 4, theta: 5 } as never), /unknown key `theta` in sinusoidal options/);
});
