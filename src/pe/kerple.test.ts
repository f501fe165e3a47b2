import { test } from "node:test";
import assert from "node:assert/strict";
import { kerpleBiasBackward, kerpleBiasForward, kerpleClamp, kerpleDistanceTable, kerpleInit, type KerpleParams } from "./kerple.js";
import { sandwichBias, sandwichDistanceTable, sandwichFrequencies } from "./sandwich.js";
import { assertClose } from "../testing/assert-close.js";
import { dot, finiteDifference } from "../testing/finite-difference.js";
import { fixture, randomArray } from "./testing.js";

// Goldens: test/fixtures/pe/kerple.json and sandwich.json from python3 + torch (float64) with make_fixtures.py, which
// transcribes chijames/KERPLE ParallelKerpleLog/ParallelKerplePower.forward (autograd gives the gradients) and
// NeMo's SandwichRelativePositionEmbedding.forward.
const kx = fixture("kerple.json");
const sx = fixture("sandwich.json");
const arangeT = (T: number) => Array.from({ length: T }, (_, i) => i);

test("KERPLE log: bias and gradients equal the reference (autograd) on a causal T=6, H=3 block", () => {
  const p: KerpleParams = { variant: "log", r1: Float64Array.from(kx.log.r1), r2: Float64Array.from(kx.log.r2) };
  const pos = arangeT(kx.T);
  assertClose("values", kerpleBiasForward(p, pos, pos), kx.log.bias, 1e-15, 1e-13);
  const g = kerpleBiasBackward(Float64Array.from(kx.G.flat(2)), p, pos, pos);
  assert.equal(g.variant, "log");
  if (g.variant === "log") {
    assertClose("dR1", g.dR1, kx.log.dR1, 1e-13, 1e-12);
    assertClose("dR2", g.dR2, kx.log.dR2, 1e-13, 1e-12);
  }
});

test("KERPLE power: bias and gradients equal the reference (∂/∂p = 0 at distance 0, as torch)", () => {
  const p: KerpleParams = { variant: "power", a: Float64Array.from(kx.power.a), p: Float64Array.from(kx.power.p) };
  const pos = arangeT(kx.T);
  assertClose("values", kerpleBiasForward(p, pos, pos), kx.power.bias, 1e-15, 1e-13);
  const g = kerpleBiasBackward(Float64Array.from(kx.G.flat(2)), p, pos, pos);
  if (g.variant !== "power") throw new Error("variant");
  assertClose("dA", g.dA, kx.power.dA, 1e-13, 1e-12);
  assertClose("dP", g.dP, kx.power.dP, 1e-13, 1e-12);
});

test("KERPLE gradients by finite differences (both variants, both modes, odd sizes, arbitrary positions)", () => {
  for (const variant of ["log", "power"] as const) {
    for (const mode of ["causal", "symmetric"] as const) {
      for (const [H, q, k] of [[1, [0], [0]], [3, [0, 1, 2], [0, 1, 2]], [5, [4, 9, 30], [0, 2, 4, 9, 17, 30]]] as const) {
        const p = kerpleInit(variant, H, 17 + H);
        const G = randomArray(H * q.length * k.length, H);
        const g = kerpleBiasBackward(G, p, q, k, mode);
        const arrays = p.variant === "log" ? [p.r1, p.r2] : [p.a, p.p];
        const grads = g.variant === "log" ? [g.dR1, g.dR2] : g.variant === "power" ? [g.dA, g.dP] : [];
        arrays.forEach((arr, a) => {
          for (let h = 0; h < H; h++) {
            const fd = finiteDifference(() => dot(kerpleBiasForward(p, q, k, mode), G), { get: () => arr[h]!, set: (v) => (arr[h] = v) }, 1e-6);
            assertClose(`${variant} ${mode} H=${H} param ${a} head ${h}`, [grads[a]![h]!], [fd], 1e-7, 1e-6);
          }
        });
      }
    }
  }
});

test("KERPLE: init ranges and clamps as the reference; bias 0 at distance 0 and decreasing", () => {
  const log = kerpleInit("log", 500, 1);
  if (log.variant !== "log") throw new Error("variant");
  assert.ok(log.r1.every((v) => v >= 0.01 && v < 2) && log.r2.every((v) => v >= 0.01 && v < 1));
  assert.ok(Math.max(...log.r1) > 1.9 && Math.max(...log.r2) > 0.95, "uniform over the whole range");
  const pw = kerpleClamp({ variant: "power", a: Float64Array.of(-1, 0.5), p: Float64Array.of(3, 0.001) });
  if (pw.variant !== "power") throw new Error("variant");
  assert.deepEqual(Array.from(pw.a), [0.01, 0.5]);
  assert.deepEqual(Array.from(pw.p), [2, 0.01]);
  for (const p of [log, kerpleInit("power", 7, 2)]) {
    const t = kerpleDistanceTable(p, 50), H = t.length / 51;
    for (let h = 0; h < H; h++) {
      assert.equal(t[h * 51], -0);
      for (let k = 1; k <= 50; k++) assert.ok(t[h * 51 + k]! < t[h * 51 + k - 1]!, "strictly decreasing in distance");
    }
  }
  // hand-computed: r1 = r2 = 1 → −ln(1 + k)
  assertClose("values", kerpleDistanceTable({ variant: "log", r1: Float64Array.of(1), r2: Float64Array.of(1) }, 2), [0, -Math.LN2, -Math.log(3)], 0, 1e-15);
  assert.throws(() => kerpleDistanceTable({ variant: "log", r1: Float64Array.of(NaN), r2: Float64Array.of(1) }, 2), /`r1\[0\]` must be a finite number/);
});

test("Sandwich equals NeMo's SandwichRelativePositionEmbedding (bidirectional and causal, T=9, d=8, H=4)", () => {
  const pos = arangeT(sx.T);
  assertClose("values", sandwichBias(sx.dim, sx.heads, pos, pos, "symmetric"), sx.bidirectional, 1e-14, 1e-13);
  assertClose("values", sandwichBias(sx.dim, sx.heads, pos, pos, "causal"), sx.causal, 1e-14, 1e-13);
});

test("Sandwich properties: frequencies start at i = 1; bias(0) = 0, bias ≤ 0; head h is head 1 divided by h", () => {
  assertClose("values", sandwichFrequencies(4), [0.01, 1e-4], 0, 1e-15); // hand: 10000^(−2/4), 10000^(−4/4)
  const t = sandwichDistanceTable(16, 4, 200);
  for (let h = 0; h < 4; h++) {
    assert.equal(t[h * 201], 0);
    for (let k = 0; k <= 200; k++) {
      assert.ok(t[h * 201 + k]! <= 0);
      assertClose("values", [t[h * 201 + k]! * (h + 1)], [t[k]!], 1e-14, 1e-14);
    }
  }
  assert.throws(() => sandwichFrequencies(7), /`dim` must be even/);
});
