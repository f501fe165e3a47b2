/**
 * The generation steps' thread policy (split-tuner.ts, decode-step.ts): the tuner's schedule on
 * given step times (switches to the faster policy, backs off, gives up on a policy that loses
 * badly), and — on a real 2-thread pool — the same logits bytes for the coarse, fine and auto
 * policies as on one thread, at sizes where the fine policy splits the step's kernels.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine, type Engine } from "../../engine/engine.js";
import { createEngine } from "../../engine/threads/pool.js";
import { FINE_WORKER_SPIN, SplitTuner } from "./split-tuner.js";
import { randomIds, randomParams, tinyConfig, tinyModel } from "./testing.js";

/** Runs the tuner over `steps` steps whose time is `ms(fine)`; returns the policy per step and the spins it set. */
function schedule(steps: number, ms: (fine: boolean) => number): { fine: boolean[]; spins: number[] } {
  const spins: number[] = [];
  const tuner = new SplitTuner({ threads: 2, setWorkerSpin: (us: number) => spins.push(us) } as unknown as Engine);
  const fine: boolean[] = [];
  for (let i = 0; i < steps; i++) {
    fine.push(tuner.fine);
    tuner.record(ms(tuner.fine));
  }
  return { fine, spins };
}

test("split tuner: moves to the fine policy when it is faster, with the workers spinning, and keeps probing", () => {
  const { fine, spins } = schedule(200, (f) => (f ? 0.25 : 0.35));
  assert.deepEqual(fine.slice(0, 8), new Array(8).fill(false), "coarse for the first 8 steps");
  assert.ok(fine.slice(12, 40).every((f) => f), "fine after its probe");
  assert.ok(fine.slice(40).some((f) => !f), "probes the coarse policy again later");
  assert.equal(spins[0], FINE_WORKER_SPIN);
  assert.ok(fine.filter((f) => f).length > 170, `mostly fine: ${fine.filter((f) => f).length} of 200`);
});

test("split tuner: stays coarse when the fine policy is slower, probing less and less often", () => {
  const { fine } = schedule(2000, (f) => (f ? 0.45 : 0.35));
  const probes = fine.filter((f) => f).length;
  assert.ok(probes > 0 && probes < 40, `fine probe steps: ${probes}`);
  assert.ok(fine.slice(1000).filter((f) => f).length <= 4, "at most one probe in the last 1000 steps");
});

test("split tuner: gives up the fine policy after it lost badly 3 times, paying one step per probe", () => {
  const { fine, spins } = schedule(5000, (f) => (f ? 40 : 0.35));
  assert.equal(fine.filter((f) => f).length, 3, "one step per probe, 3 probes");
  assert.deepEqual(spins, [FINE_WORKER_SPIN, 0, FINE_WORKER_SPIN, 0, FINE_WORKER_SPIN, 0]);
});

test("generation on a real 2-thread pool: the same logits bytes for the coarse, fine and auto policies as on one thread", async () => {
  // the decode bench's model shape: at 300 cached tokens the fine policy splits qkv, MLP, head and attention
  const cfg = tinyConfig("alibi", { context_length: 64, d_model: 128, n_layers: 2, n_heads: 4 });
  const params = randomParams(cfg, 5);
  const prompt = randomIds(300, 256, 6);
  const run = (engine: Engine, threadPolicy: "auto" | "coarse" | "fine"): Float32Array[] => {
    const d = tinyModel(cfg, params, engine).startEngineDecoding({}, { batch: 1, capacity: 340, threadPolicy });
    const out = [d.feed(prompt)];
    for (let i = 0; i < 30; i++) out.push(d.feedBatch(Int32Array.of(i * 7 % 256)));
    d.dispose();
    return out;
  };
  const serial = run(new SerialEngine(), "auto");
  const pool = await createEngine({ threads: 2 });
  try {
    for (const policy of ["coarse", "fine", "auto"] as const) assert.deepEqual(run(pool, policy), serial, `${policy} policy`);
  } finally {
    await pool.dispose();
  }
  assert.throws(() => tinyModel(cfg, params).startEngineDecoding({}, { threadPolicy: "fast" as "auto" }), /`threadPolicy` must be "auto", "coarse" or "fine", got "fast"/);
});

test("generation on a real 2-thread pool where JavaScript runs inside each layer (the program in segments; attention-only layers too): the same logits bytes as one thread", async () => {
  // rope (rotary hook between qkv and attention) with a rolling cache (capture + ring), FIRE's dense rows, Transformer-XL's attention, batch 3
  const cases: { name: string; pe: unknown; rolling?: { sinks: number; recent: number }; extra?: Record<string, unknown> }[] = [
    { name: "rope, rolling cache", pe: "rope", rolling: { sinks: 4, recent: 200 } },
    { name: "fire", pe: { kind: "fire", hidden: 8, init_l: 6 } },
    { name: "transformer-xl", pe: "transformer-xl" },
    // attention-only blocks (`mlp: false`): the program's 5-op layers, in segments and (alibi) in one run
    { name: "rope, rolling cache, attention only", pe: "rope", rolling: { sinks: 4, recent: 200 }, extra: { mlp: false } },
    { name: "transformer-xl, attention only", pe: "transformer-xl", extra: { mlp: false } },
    { name: "alibi, attention only (one run)", pe: "alibi", extra: { mlp: false } },
  ];
  const pool = await createEngine({ threads: 2 });
  try {
    for (const c of cases) {
      const cfg = tinyConfig(c.pe, { context_length: 64, d_model: 128, n_layers: 2, n_heads: 4, ...c.extra });
      const params = randomParams(cfg, 7);
      const prompt = randomIds(260, 256, 8);
      const run = (engine: Engine, threadPolicy: "coarse" | "fine"): Float32Array[] => {
        const d = tinyModel(cfg, params, engine).startEngineDecoding({}, { batch: 3, capacity: c.rolling ? undefined : 300, threadPolicy, ...(c.rolling ? { rolling: c.rolling } : {}) });
        const out = [d.feed(prompt)];
        for (let i = 0; i < 12; i++) out.push(d.feedBatch(Int32Array.of(i * 7 % 256, i * 11 % 256, i * 13 % 256)));
        d.dispose();
        return out;
      };
      const serial = run(new SerialEngine(), "coarse");
      for (const policy of ["coarse", "fine"] as const) assert.deepEqual(run(pool, policy), serial, `${c.name}, ${policy} policy`);
    }
  } finally {
    await pool.dispose();
  }
});
