import { test } from "node:test";
import assert from "node:assert/strict";
import { xposCentredPositions, xposScales, xposZeta } from "./xpos.js";
import { assertClose } from "../testing/assert-close.js";
import { fixture } from "./testing.js";

// Goldens: test/fixtures/pe/xpos.json from python3 + torch (float64) with make_fixtures.py, which transcribes
// torchscale's XPOS.forward (scale buffer, centring, offset).
const fx = fixture("xpos.json");

test("ζ_i = (2i + 0.4d)/(1.4d) (hand-computed for d = 8: 3.2/11.2, 5.2/11.2, 7.2/11.2, 9.2/11.2)", () => {
  assertClose("values", xposZeta(8), [3.2 / 11.2, 5.2 / 11.2, 7.2 / 11.2, 9.2 / 11.2], 0, 1e-15);
});

test("scales at given positions match the reference formula (no centring)", () => {
  const g = fx.given;
  assertClose("values", xposScales(g.dim, g.positions, g.scaleBase), g.scale, 0, 1e-13);
});

test("centred positions reproduce torchscale's scale for several lengths and offsets", () => {
  for (const c of fx.centred) {
    const pos = xposCentredPositions(c.length, c.offset);
    assertClose(`T=${c.length} offset=${c.offset}`, xposScales(c.dim, pos), c.scale, 0, 1e-13);
  }
  assert.deepEqual(Array.from(xposCentredPositions(5)), [-3, -2, -1, 0, 1]);
  assert.deepEqual(Array.from(xposCentredPositions(5, 3)), [-1, 0, 1, 2, 3]);
});

test("q·k decay: the factor ζ^(m/B)·ζ^(−n/B) depends only on m − n and decreases with distance", () => {
  const d = 16, z = xposZeta(d);
  const pos = Array.from({ length: 64 }, (_, i) => i * 37 - 1000);
  const s = xposScales(d, pos);
  for (let a = 0; a < pos.length; a++) {
    for (let b = 0; b <= a; b++) {
      for (let i = 0; i < d / 2; i++) {
        const f = s[a * (d / 2) + i]! / s[b * (d / 2) + i]!;
        assertClose("values", [f], [Math.pow(z[i]!, (pos[a]! - pos[b]!) / 512)], 0, 1e-11);
      }
    }
  }
  // for a key at distance k before the query: every pair's factor is < 1 and shrinks as k grows (ζ_i < 1)
  for (let i = 0; i < d / 2; i++) {
    let prev = 1;
    for (let k = 1; k < 5000; k += 97) {
      const f = Math.pow(z[i]!, k / 512);
      assert.ok(f < prev, "decays");
      prev = f;
    }
  }
});

test("bad input: odd or zero dim, zero scale base", () => {
  assert.throws(() => xposZeta(7), /`dim` must be even/);
  assert.throws(() => xposScales(0, [0]), /`dim`/);
  assert.throws(() => xposScales(8, [0], 0), /`scaleBase`/);
});
