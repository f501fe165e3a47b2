/**
 * Transformer-XL relative attention on the engine (relative.ts): forward against the float64
 * reference (relative.ref.ts) on odd sizes, with and without memory, clamped and unclamped distances,
 * both kernel paths (HS % 4 == 0 and not); the reference against src/pe/transformer-xl.ts (itself
 * checked against the PyTorch fixture of the reference module); every gradient (q, k, v, r, u, v)
 * against central finite differences of the float64 reference.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { txlAttention } from "../../../pe/transformer-xl.js";
import { relativeAttentionBackward, relativeAttentionForward, type RelativeShape } from "./relative.js";
import { relativeAttentionForwardRef, type RefRelativeInputs } from "./relative.ref.js";
import { assertClose, f32Buffer, randomArray } from "./testing.js";

const engine = new SerialEngine();

function inputs(s: RelativeShape, D: number, seed: number): RefRelativeInputs & { dout: Float32Array } {
  const rng = new Rng(seed), K = s.M + s.S;
  return {
    q: randomArray(rng, s.B * s.NH * s.S * s.HS, 1.2), k: randomArray(rng, s.B * s.NH * K * s.HS, 1.2), v: randomArray(rng, s.B * s.NH * K * s.HS),
    r: randomArray(rng, s.NH * (D + 1) * s.HS, 1.2), u: randomArray(rng, s.NH * s.HS, 0.5), vBias: randomArray(rng, s.NH * s.HS, 0.5), maxDistance: D,
    dout: randomArray(rng, s.B * s.S * s.NH * s.HS),
  };
}

function run(x: ReturnType<typeof inputs>, s: RelativeShape, backward: boolean) {
  const mark = engine.mark();
  try {
    const K = s.M + s.S, C = s.NH * s.HS;
    const [q, k, v] = [f32Buffer(engine, x.q.length, x.q), f32Buffer(engine, x.k.length, x.k), f32Buffer(engine, x.v.length, x.v)];
    const p = { r: f32Buffer(engine, x.r.length, x.r), u: f32Buffer(engine, x.u.length, x.u), v: f32Buffer(engine, x.vBias.length, x.vBias), maxDistance: x.maxDistance };
    const out = f32Buffer(engine, s.B * s.S * C), lse = f32Buffer(engine, s.B * s.NH * K);
    relativeAttentionForward(engine, out, lse, q, k, v, s, p);
    const res = { out: Float32Array.from(engine.f32(out, s.B * s.S * C)), grads: null as null | Record<string, Float32Array> };
    if (!backward) return res;
    const g = { dq: f32Buffer(engine, x.q.length), dk: f32Buffer(engine, x.k.length), dv: f32Buffer(engine, x.v.length), dr: f32Buffer(engine, x.r.length), du: f32Buffer(engine, x.u.length), dvBias: f32Buffer(engine, x.u.length) };
    relativeAttentionBackward(engine, g, f32Buffer(engine, x.dout.length, x.dout), out, lse, q, k, v, s, p);
    res.grads = Object.fromEntries(Object.entries(g).map(([n, ptr]) => [n, Float32Array.from(engine.f32(ptr, ({ dq: x.q, dk: x.k, dv: x.v, dr: x.r, du: x.u, dvBias: x.u } as Record<string, ArrayLike<number>>)[n]!.length))]));
    return res;
  } finally {
    engine.reset(mark);
  }
}

test("relative attention forward = float64 reference (memory 0/3/9, clamp, HS 3/4/8, B 1/2)", () => {
  let seed = 1;
  for (const HS of [3, 4, 8]) for (const [S, M] of [[5, 0], [4, 3], [7, 9], [1, 6]] as const) for (const B of [1, 2]) {
    const s = { B, S, M, NH: 2, HS };
    for (const D of [S + M - 1, 2]) {
      const x = inputs(s, D, seed++);
      assertClose(`out ${JSON.stringify(s)} D ${D}`, run(x, s, false).out, relativeAttentionForwardRef(x, s), 2e-6, 2e-5);
    }
  }
});

test("the reference equals src/pe/transformer-xl.ts txlAttention (PyTorch-fixture-checked) after the layout change", () => {
  const s = { B: 1, S: 4, M: 3, NH: 2, HS: 3 }, K = 7, D = K - 1;
  const x = inputs(s, D, 77);
  // pe layouts: q [S, H, dh]; k, v [K, H, dh]; r [K, H, dh] with row ρ = distance K − 1 − ρ
  const q = new Float64Array(s.S * 6), k = new Float64Array(K * 6), v = new Float64Array(K * 6), r = new Float64Array(K * 6);
  for (let h = 0; h < 2; h++) for (let c = 0; c < 3; c++) {
    for (let i = 0; i < s.S; i++) q[(i * 2 + h) * 3 + c] = x.q[(h * s.S + i) * 3 + c]!;
    for (let j = 0; j < K; j++) {
      k[(j * 2 + h) * 3 + c] = x.k[(h * K + j) * 3 + c]!;
      v[(j * 2 + h) * 3 + c] = x.v[(h * K + j) * 3 + c]!;
      r[((K - 1 - j) * 2 + h) * 3 + c] = x.r[(h * K + j) * 3 + c]!;
    }
  }
  const pe = txlAttention({ q, k, v, r, u: x.u, vBias: x.vBias, qlen: s.S, klen: K, H: 2, dh: 3 });
  assertClose("reference vs pe", relativeAttentionForwardRef(x, s), pe, 1e-12, 1e-12);
});

test("relative attention gradients (q, k, v, r, u, v) = finite differences of the float64 reference", () => {
  for (const [s, D] of [[{ B: 2, S: 3, M: 2, NH: 2, HS: 4 }, 4], [{ B: 1, S: 4, M: 0, NH: 1, HS: 3 }, 2]] as const) {
    const x = inputs(s, D, 99);
    const got = run(x, s, true).grads!;
    const loss = (y: RefRelativeInputs) => { const o = relativeAttentionForwardRef(y, s); let t = 0; for (let i = 0; i < o.length; i++) t += o[i]! * x.dout[i]!; return t; };
    const K = s.M + s.S;
    for (const [name, key] of [["dq", "q"], ["dk", "k"], ["dv", "v"], ["dr", "r"], ["du", "u"], ["dvBias", "vBias"]] as const) {
      const base = Float64Array.from(x[key]);
      const fd = Float64Array.from(base, (_, i) => {
        const h = 1e-5, keep = base[i]!;
        base[i] = keep + h; const up = loss({ ...x, [key]: base });
        base[i] = keep - h; const down = loss({ ...x, [key]: base });
        base[i] = keep;
        return (up - down) / (2 * h);
      });
      // dk, dv cover the memory rows too (the caller drops them: stop-gradient); they are checked as well
      if (name === "dk" || name === "dv") assert.equal(got[name]!.length, s.B * s.NH * K * s.HS);
      assertClose(`${name} ${JSON.stringify(s)}`, got[name]!, fd, 2e-5, 2e-3);
      assert.ok(Math.max(...Array.from(fd, Math.abs)) > 1e-3, `${name}: non-trivial gradient`);
    }
  }
});

test("relative attention refuses bad shapes and buffers with a message", () => {
  const mark = engine.mark();
  const buf = f32Buffer(engine, 64);
  assert.throws(() => relativeAttentionForward(engine, buf, buf, buf, buf, buf, { B: 1, S: 2, M: -1, NH: 1, HS: 4 }, { r: buf, u: buf, v: buf, maxDistance: 1 }), /`M` must be an integer ≥ 0, got -1/);
  assert.throws(() => relativeAttentionForward(engine, buf, buf, buf, buf, buf, { B: 1, S: 2, M: 0, NH: 1, HS: 4 }, { r: buf, u: buf, v: buf, maxDistance: 1e6 }), /`r` must be a 4-byte-aligned pointer/);
  engine.reset(mark);
});
