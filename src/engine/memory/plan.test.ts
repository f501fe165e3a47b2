import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../../pe/errors.js";
import { SerialEngine } from "../engine.js";
import { createEngine } from "../threads/pool.js";
import { allocTrainingState, Arena, ARENA_ALIGN, planArena, type TensorSpec } from "./plan.js";
import { RESIDUAL_FORWARD } from "../kernels/names.js";

const TABLE: TensorSpec[] = [
  { name: "wte", shape: [257, 3], dtype: "f32" },
  { name: "tokens", shape: [5], dtype: "i32" },
  { name: "scalar", shape: [], dtype: "f32" },
  { name: "empty", shape: [0, 4], dtype: "f32" },
  { name: "w", shape: [17, 129], dtype: "f32" },
];

test("planArena: table order, 64-byte aligned offsets, no overlap, exact sizes", () => {
  const plan = planArena(TABLE);
  assert.deepEqual(plan.tensors.map((t) => t.name), TABLE.map((t) => t.name));
  // sizes computed by hand: 257·3·4 = 3084, 5·4 = 20, 4, 0, 17·129·4 = 8772
  assert.deepEqual(plan.tensors.map((t) => t.bytes), [3084, 20, 4, 0, 8772]);
  assert.deepEqual(plan.tensors.map((t) => t.elements), [771, 5, 1, 0, 2193]);
  // offsets by hand: 0, ceil(3084/64)·64 = 3136, 3136+64 = 3200, 3264, 3264 (empty takes no room)
  assert.deepEqual(plan.tensors.map((t) => t.offset), [0, 3136, 3200, 3264, 3264]);
  assert.equal(plan.totalBytes, 3264 + Math.ceil(8772 / 64) * 64);
  for (const t of plan.tensors) assert.equal(t.offset % ARENA_ALIGN, 0);
  assert.equal(plan.byName.get("w")?.offset, 3264);
});

test("planArena refuses duplicate names, bad shapes and dtypes", () => {
  assert.throws(() => planArena([TABLE[0]!, TABLE[0]!]), /two tensors named "wte"/);
  assert.throws(() => planArena([{ name: "x", shape: [2, -1], dtype: "f32" }]), /tensor "x": shape must be a list of non-negative integers, got \[2,-1\]/);
  assert.throws(() => planArena([{ name: "x", shape: [2.5], dtype: "f32" }]), /shape must be/);
  assert.throws(() => planArena([{ name: "x", shape: [2], dtype: "f64" as "f32" }]), /dtype must be "f32" or "i32", got "f64"/);
});

test("Arena: typed views at the planned offsets, zeroed, shape checks name both shapes", () => {
  const engine = new SerialEngine();
  const arena = new Arena(engine, planArena(TABLE));
  assert.equal(arena.base % ARENA_ALIGN, 0);
  assert.equal(arena.ptr("w"), arena.base + 3264);
  assert.equal(arena.f32("w").length, 17 * 129);
  assert.equal(arena.i32("tokens").length, 5);
  assert.ok(arena.flatF32().every((x) => x === 0));
  arena.f32("w").fill(2);
  arena.i32("tokens").set([1, 2, 3, 4, 5]);
  assert.equal(arena.f32("wte")[770], 0, "writing w leaves wte alone");
  assert.equal(engine.f32(arena.ptr("w"), 1)[0], 2);
  assert.throws(() => arena.f32("tokens"), /tensor "tokens" is i32, not f32/);
  assert.throws(() => arena.ptr("nope"), /no tensor named "nope" in the plan/);
  assert.equal(arena.checkedPtr("matmul", "w", [17, 129]), arena.ptr("w"));
  assert.throws(() => arena.checkedPtr("matmul", "w", [17, 128]), (e: unknown) =>
    e instanceof ExtraposError && e.code === "shape_mismatch" && e.message === "matmul: `w` has shape [17, 128] but the plan has [17, 129]");
});

test("Arena with uninitialized tensors: those keep the memory's bytes, everything else (padding included) is zeroed", () => {
  const engine = new SerialEngine();
  const mark = engine.mark();
  const plan = planArena(TABLE);
  engine.f32(engine.alloc(plan.totalBytes + ARENA_ALIGN, ARENA_ALIGN), (plan.totalBytes + ARENA_ALIGN) / 4).fill(7); // a dirty region, then given back
  engine.reset(mark);
  const arena = new Arena(engine, plan, (name) => name === "wte" || name === "w");
  assert.ok(arena.f32("wte").every((x) => x === 7) && arena.f32("w").every((x) => x === 7), "skipped tensors untouched");
  assert.ok(arena.i32("tokens").every((x) => x === 0) && arena.f32("scalar")[0] === 0, "the others zeroed");
  const flat = arena.flatF32(), skipped = new Set<number>();
  for (const n of ["wte", "w"]) for (let i = 0; i < arena.f32(n).length; i++) skipped.add((arena.ptr(n) - arena.base) / 4 + i);
  for (let i = 0; i < flat.length; i++) if (!skipped.has(i)) assert.equal(flat[i], 0, `float ${i} (padding or a zeroed tensor)`);
});

test("allocTrainingState: params, grads, m, v share one plan; flat length covers the padding", () => {
  const engine = new SerialEngine();
  const table = TABLE.filter((t) => t.dtype === "f32");
  const s = allocTrainingState(engine, table);
  for (const a of [s.grads, s.m, s.v]) {
    assert.equal(a.plan, s.params.plan);
    assert.equal(a.ptr("w") - a.base, s.params.ptr("w") - s.params.base);
  }
  assert.equal(s.flatLength * 4, s.params.plan.totalBytes);
  const bases = [s.params.base, s.grads.base, s.m.base, s.v.base].sort((a, b) => a - b);
  for (let i = 1; i < 4; i++) assert.ok(bases[i]! - bases[i - 1]! >= s.params.plan.totalBytes, "arenas do not overlap");
  assert.throws(() => allocTrainingState(engine, TABLE), /parameter "tokens" must be f32, got "i32"/);
});

test("a steady-state step sequence allocates nothing: two steps, no growth of memory.buffer.byteLength", async () => {
  const engine = await createEngine({ threads: 2 });
  try {
    const n = 100_000;
    const acts = new Arena(engine, planArena([{ name: "x", shape: [n], dtype: "f32" }, { name: "y", shape: [n], dtype: "f32" }]));
    acts.f32("x").fill(1);
    const step = (): void => {
      const m = engine.mark();
      const tmp = engine.alloc(4 * n); // per-step scratch, released at the end of the step
      engine.parallelFor(RESIDUAL_FORWARD, n, [tmp, acts.ptr("x"), acts.ptr("x")], 64);
      engine.parallelFor(RESIDUAL_FORWARD, n, [acts.ptr("y"), tmp, acts.ptr("y")], 64);
      engine.reset(m);
    };
    step();
    const bytes = engine.memory.buffer.byteLength;
    const top = engine.mark();
    step();
    step();
    assert.equal(engine.memory.buffer.byteLength, bytes, "memory grew during a steady-state step");
    assert.equal(engine.mark(), top, "the allocation top moved");
    assert.equal(acts.f32("y")[n - 1], 6, "three steps of y += 2x with x = 1");
  } finally {
    await engine.dispose();
  }
});
