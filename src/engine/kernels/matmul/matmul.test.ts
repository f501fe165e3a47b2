import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { ExtraposError } from "../../../pe/errors.js";
import { Rng } from "../../../pe/random.js";
import type { Engine } from "../../engine.js";
import { Arena, planArena, type TensorRef } from "../../memory/plan.js";
import { createEngine } from "../../threads/pool.js";
import { engineInfo } from "../../wasm.js";
import { biasGradAccumulate, linearBackward, linearForward, matmul, type Transpose } from "./matmul.js";
import { biasGradRef, matmulRef } from "./matmul.ref.js";
import { assertClose } from "../../../testing/assert-close.js";

const SIZES = [1, 3, 17, 129];
const TRANSPOSES: Transpose[] = ["NN", "NT", "TN", "TT"];

function put(engine: Engine, values: ArrayLike<number>, shape: number[]): TensorRef {
  const ptr = engine.alloc(4 * Math.max(1, values.length));
  engine.f32(ptr, values.length).set(values);
  return { ptr, shape };
}

function random(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 2 * rng.float() - 1;
  return x;
}

// Tolerance for a float32 sum of K products of values in [-1, 1] against the float64 reference: the rounding
// error grows at most like K·2⁻²⁴·Σ|a·b| ≤ K²·6e-8; 1e-6·max(1, K) absolute + 1e-5 relative is above what
// float32 accumulation produces here and far below any indexing mistake (errors of order 1).
interface Case { m: number; k: number; n: number; t: Transpose; bias: boolean; accumulate: boolean }

/** Runs one product on `engine`; returns C. */
function runCase(engine: Engine, rng: Rng, c: Case): { got: Float32Array; ref: Float64Array } {
  const mark = engine.mark();
  const a = random(rng, c.m * c.k), b = random(rng, c.k * c.n), bias = random(rng, c.n), c0 = random(rng, c.m * c.n);
  const aShape = c.t[0] === "T" ? [c.k, c.m] : [c.m, c.k];
  const bShape = c.t[1] === "T" ? [c.n, c.k] : [c.k, c.n];
  const cRef = put(engine, c0, [c.m, c.n]);
  matmul(engine, cRef, put(engine, a, aShape), put(engine, b, bShape), {
    transpose: c.t, accumulate: c.accumulate, ...(c.bias ? { bias: put(engine, bias, [c.n]) } : {}),
  });
  const got = engine.f32(cRef.ptr, c.m * c.n).slice();
  engine.reset(mark);
  const ref = matmulRef({ a, b, m: c.m, k: c.k, n: c.n, transpose: c.t, accumulate: c.accumulate, ...(c.bias ? { bias } : {}), c0 });
  return { got, ref };
}

function allCases(): Case[] {
  const cases: Case[] = [];
  let i = 0;
  for (const m of SIZES) for (const k of SIZES) for (const n of SIZES) for (const t of TRANSPOSES) {
    // every (bias, accumulate) combination for every transpose, rotated over the sizes
    cases.push({ m, k, n, t, bias: (i & 1) === 1, accumulate: (i & 2) === 2 });
    cases.push({ m, k, n, t, bias: (i & 1) === 0, accumulate: (i & 2) === 0 });
    i++;
  }
  // across the K and N cache blocks (256) and not multiples of the 5×8 register tile
  for (const t of TRANSPOSES) {
    cases.push({ m: 67, k: 300, n: 261, t, bias: true, accumulate: false });
    cases.push({ m: 5, k: 513, n: 9, t, bias: false, accumulate: true });
    cases.push({ m: 9, k: 0, n: 5, t, bias: true, accumulate: true });
    // few rows, many columns: split over columns when threads > 1 (generation-like shapes)
    cases.push({ m: 1, k: 129, n: 1031, t, bias: true, accumulate: false });
    cases.push({ m: 3, k: 300, n: 517, t, bias: false, accumulate: true });
  }
  return cases;
}

test("matmul vs float64 reference: all transposes, bias and accumulate on/off, odd sizes, 1 and 2 threads", async () => {
  for (const threads of [1, 2]) {
    const engine = await createEngine({ threads });
    try {
      const rng = new Rng(17 + threads);
      for (const c of allCases()) {
        const { got, ref } = runCase(engine, rng, c);
        assertClose(`threads=${threads} ${JSON.stringify(c)}`, got, ref, 1e-6 * Math.max(1, c.k), 1e-5);
      }
    } finally {
      await engine.dispose();
    }
  }
});

test("products with too few rows split their columns across threads (and large ones their rows)", async () => {
  const engine = await createEngine({ threads: 2 });
  try {
    const calls: { name: string; n: number; args: readonly number[] }[] = [];
    const original = engine.parallelFor.bind(engine);
    engine.parallelFor = (name, n, args, grain, label) => { calls.push({ name, n, args }); original(name, n, args, grain, label); };
    const { got, ref } = runCase(engine, new Rng(9), { m: 1, k: 129, n: 1031, t: "NT", bias: true, accumulate: false });
    assertClose("m=1 column split", got, ref, 1e-6 * Math.max(1, 129), 1e-5);
    runCase(engine, new Rng(9), { m: 129, k: 129, n: 1031, t: "NT", bias: false, accumulate: false });
    const mm = calls.filter((c) => c.name === "matmulABt");
    assert.deepEqual(mm.map((c) => [c.n, c.args[8]]), [[1031, 1], [129, 0]], "(range length, splitColumns) per call");
  } finally {
    await engine.dispose();
  }
});

test("matmul is bit-identical across runs and across 1, 2 and 3 threads", async () => {
  const results: Float32Array[] = [];
  for (const threads of [1, 2, 2, 3]) {
    const engine = await createEngine({ threads });
    try {
      const out: number[] = [];
      for (const t of TRANSPOSES) {
        out.push(...runCase(engine, new Rng(5), { m: 131, k: 300, n: 263, t, bias: true, accumulate: true }).got);
        out.push(...runCase(engine, new Rng(6), { m: 2, k: 300, n: 1031, t, bias: true, accumulate: true }).got); // column split
      }
      results.push(Float32Array.from(out));
    } finally {
      await engine.dispose();
    }
  }
  for (let r = 1; r < results.length; r++) {
    const i = results[r]!.findIndex((v, j) => !Object.is(v, results[0]![j]));
    assert.equal(i, -1, `run ${r} differs from run 0 at ${i}`);
  }
});

test("linearForward / linearBackward match the reference (leading dims flattened, dInp = and +=)", async () => {
  const engine = await createEngine({ threads: 2 });
  try {
    const rng = new Rng(3);
    const [B, T, C, OC] = [3, 17, 33, 129];
    const R = B * T;
    const inp = random(rng, R * C), w = random(rng, OC * C), b = random(rng, OC), dOut = random(rng, R * OC);
    const dInp0 = random(rng, R * C), dW0 = random(rng, OC * C), dB0 = random(rng, OC);
    const out = put(engine, new Float32Array(R * OC), [B, T, OC]);
    const inpT = put(engine, inp, [B, T, C]), wT = put(engine, w, [OC, C]);
    linearForward(engine, out, inpT, wT, put(engine, b, [OC]));
    assertClose("linearForward", engine.f32(out.ptr, R * OC), matmulRef({ a: inp, b: w, bias: b, m: R, k: C, n: OC, transpose: "NT", accumulate: false }), 1e-6 * Math.max(1, C), 1e-5);
    for (const accumulateInput of [false, true]) {
      const dInp = put(engine, dInp0, [B, T, C]), dW = put(engine, dW0, [OC, C]), dB = put(engine, dB0, [OC]);
      linearBackward(engine, dInp, dW, dB, put(engine, dOut, [B, T, OC]), inpT, wT, { accumulateInput });
      assertClose("dInp", engine.f32(dInp.ptr, R * C), matmulRef({ a: dOut, b: w, c0: dInp0, m: R, k: OC, n: C, transpose: "NN", accumulate: accumulateInput }), 1e-6 * Math.max(1, OC), 1e-5);
      assertClose("dW", engine.f32(dW.ptr, OC * C), matmulRef({ a: dOut, b: inp, c0: dW0, m: OC, k: R, n: C, transpose: "TN", accumulate: true }), 1e-6 * Math.max(1, R), 1e-5);
      assertClose("dBias", engine.f32(dB.ptr, OC), biasGradRef(dOut, R, OC, dB0), 1e-6 * Math.max(1, 1), 1e-5);
    }
  } finally {
    await engine.dispose();
  }
});

test("biasGradAccumulate vs reference on odd sizes, 1 and 2 threads", async () => {
  for (const threads of [1, 2]) {
    const engine = await createEngine({ threads });
    try {
      const rng = new Rng(11);
      for (const rows of SIZES) for (const cols of [...SIZES, 4099]) {
        const dOut = random(rng, rows * cols), dB0 = random(rng, cols);
        const dB = put(engine, dB0, [cols]);
        biasGradAccumulate(engine, dB, put(engine, dOut, [rows, cols]));
        // summed in float64, rounded once to float32: within one float32 ulp of the reference
        assertClose(`rows=${rows} cols=${cols} threads=${threads}`, engine.f32(dB.ptr, cols), biasGradRef(dOut, rows, cols, dB0), 1e-6 * Math.max(1, 0), 1e-5);
      }
    } finally {
      await engine.dispose();
    }
  }
});

test("a linear forward+backward step sequence allocates nothing: no growth of memory.buffer.byteLength", async () => {
  const engine = await createEngine({ threads: 2 });
  try {
    const [R, C, OC] = [257, 129, 300];
    const acts = new Arena(engine, planArena([
      { name: "inp", shape: [R, C], dtype: "f32" }, { name: "out", shape: [R, OC], dtype: "f32" },
      { name: "dInp", shape: [R, C], dtype: "f32" }, { name: "dOut", shape: [R, OC], dtype: "f32" },
      { name: "w", shape: [OC, C], dtype: "f32" }, { name: "b", shape: [OC], dtype: "f32" },
      { name: "dW", shape: [OC, C], dtype: "f32" }, { name: "dB", shape: [OC], dtype: "f32" },
    ]));
    acts.f32("inp").set(random(new Rng(1), R * C));
    acts.f32("w").set(random(new Rng(2), OC * C));
    acts.f32("dOut").set(random(new Rng(3), R * OC));
    const step = (): void => {
      acts.f32("dW").fill(0);
      linearForward(engine, acts.ref("out"), acts.ref("inp"), acts.ref("w"), acts.ref("b"));
      linearBackward(engine, acts.ref("dInp"), acts.ref("dW"), acts.ref("dB"), acts.ref("dOut"), acts.ref("inp"), acts.ref("w"));
    };
    step();
    const bytes = engine.memory.buffer.byteLength, top = engine.mark();
    step();
    step();
    assert.equal(engine.memory.buffer.byteLength, bytes, "memory grew during a steady-state step");
    assert.equal(engine.mark(), top, "the allocation top moved");
  } finally {
    await engine.dispose();
  }
});

test("bad input: shape mismatches name both shapes; a bad pointer names op and shapes; NaN check names the op", async () => {
  const engine = await createEngine({ threads: 2, finiteChecks: true });
  try {
    const a = put(engine, new Float32Array(6), [2, 3]);
    const b = put(engine, new Float32Array(8), [4, 2]);
    const c = put(engine, new Float32Array(8), [2, 4]);
    assert.throws(() => matmul(engine, c, a, b, { transpose: "NT" }), (e: unknown) => e instanceof ExtraposError && e.code === "shape_mismatch" &&
      e.message === "matmul NT (C = A·Bᵀ): inner dimensions differ: `a` [2, 3] gives K = 3, `b` [4, 2] gives K = 2");
    const b34 = put(engine, new Float32Array(12), [3, 4]);
    assert.throws(() => matmul(engine, { ptr: c.ptr, shape: [4, 2] }, a, b34), /`c` has shape \[4, 2\] but A·B is \[2, 4\]/);
    assert.throws(() => matmul(engine, c, a, b34, { bias: { ptr: c.ptr, shape: [3] } }), /`bias` has shape \[3\] but must be \[4\]/);
    assert.throws(() => matmul(engine, c, { ptr: a.ptr, shape: [6] }, b34), /`a` must be a 2-D shape, got \[6\]/);
    assert.throws(() => linearForward(engine, { ptr: c.ptr, shape: [3, 4] }, a, { ptr: b34.ptr, shape: [4, 3] }), /linearForward: `out` \[3, 4\] and `inp` \[2, 3\] have different leading dimensions/);
    const far = engine.memory.buffer.byteLength + 4096;
    assert.throws(() => matmul(engine, { ptr: far, shape: [2, 4] }, a, b34), (e: unknown) => e instanceof ExtraposError && e.code === "thread_crash" &&
      /matmul NN \(C = A·B\) with a \[2, 3\], b \[3, 4\], c \[2, 4\] \(kernel matmulAB\)/.test(e.message));
    engine.f32(a.ptr, 6)[4] = Number.NaN;
    assert.throws(() => matmul(engine, c, a, b34), (e: unknown) => e instanceof ExtraposError && e.code === "non_finite" &&
      e.message.startsWith("matmul NN (C = A·B) `a`: tensor of shape [2, 3] holds NaN at flat index 4"));
    engine.f32(a.ptr, 6)[4] = 3e38;
    engine.f32(b34.ptr, 12).fill(3e38);
    assert.throws(() => matmul(engine, c, a, b34), /matmul NN \(C = A·B\) `c`: tensor of shape \[2, 4\] holds Infinity at flat index 4/);
  } finally {
    await engine.dispose();
  }
});

/**
 * C = bias + A·B where every element is (1+2⁻¹²)·(1+2⁻¹²) − (1+2⁻¹¹) (+ zero products): 2⁻²⁴ when
 * the micro-kernel fuses multiply and add, 0 when it rounds the product first. Returns the distinct
 * values of C (200×200, split over the threads). Self-contained (its source also runs in a child).
 */
async function fusedProbe(makeEngine: typeof createEngine, product: typeof matmul, threads: number): Promise<number[]> {
  const [m, k, n] = [200, 64, 200], x = 1 + 2 ** -12;
  const engine = await makeEngine({ threads });
  try {
    const ref = (values: Float32Array, shape: number[]): TensorRef => {
      const ptr = engine.alloc(4 * values.length);
      engine.f32(ptr, values.length).set(values);
      return { ptr, shape };
    };
    const a = new Float32Array(m * k), b = new Float32Array(k * n);
    for (let i = 0; i < m; i++) a[i * k] = x;
    for (let j = 0; j < n; j++) b[j] = x;
    const c = ref(new Float32Array(m * n), [m, n]);
    product(engine, c, ref(a, [m, k]), ref(b, [k, n]), { bias: ref(new Float32Array(n).fill(-(1 + 2 ** -11)), [n]) });
    return [...new Set(engine.f32(c.ptr, m * n))];
  } finally {
    await engine.dispose();
  }
}

test("the kernel build in use is reported: engineInfo().fma iff matmul fuses multiply-add (1 and 2 threads)", async () => {
  const info = engineInfo();
  for (const threads of [1, 2]) assert.deepEqual(await fusedProbe(createEngine, matmul, threads), [info.fma ? 2 ** -24 : 0], `threads=${threads} ${JSON.stringify(info)}`);
});

test("EXTRAPOS_FMA=0 gives the plain mul+add build (checked in a fresh process)", () => {
  const url = (p: string): string => JSON.stringify(new URL(p, import.meta.url).href);
  const script = `import { createEngine } from ${url("../../threads/pool.js")};
import { matmul } from ${url("./matmul.js")};
import { engineInfo } from ${url("../../wasm.js")};
const values = await (${fusedProbe.toString()})(createEngine, matmul, 2);
console.log(JSON.stringify({ info: engineInfo(), values }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, EXTRAPOS_FMA: "0" }, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { info: { fma: false, memory: "shared", reason: "disabled by EXTRAPOS_FMA=0" }, values: [0] });
});
