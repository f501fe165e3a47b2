import { test } from "node:test";
import assert from "node:assert/strict";
import { parseModelConfig } from "../model/config.js";
import { ExtraposError } from "../pe/errors.js";
import { BENCH_METHOD_NAMES, BENCH_METHODS, BENCH_PRESETS, DEFAULT_METHODS, RANDOMIZED_MAX_FACTOR, benchMethod, estimateBudget, isBenchMethod, longformerPattern } from "./presets.js";
import { randomizedPositions } from "../pe/randomized.js";
import { Rng } from "../pe/random.js";
import { ENCODING_NAMES } from "../pe/encodings.js";
import { jobsOf, modelJsonFor, passkeyStepsFor, planFromJson, planToJson, resolvePlan, threadsAndJobs, withBases } from "./plan.js";

test("default preset: the issue's 14 methods and issue 9's window-sinks and longformer, 14 of them trained (rope-yarn/rope-linear reuse rope)", () => {
  assert.deepEqual([...DEFAULT_METHODS], ["sinusoidal", "adaptive", "learned", "rope", "rope-yarn", "rope-linear", "xpos", "alibi", "t5", "kerple", "fire", "nope", "randomized-rope", "lstm", "window-sinks", "longformer"]);
  assert.equal(DEFAULT_METHODS.filter((m) => benchMethod(m).kind === "trained").length, 14);
  const p = resolvePlan({ threads: 2 });
  assert.deepEqual(p.evalLens, [64, 128, 256, 512, 1024, 2048], "L … 32L");
  assert.equal(p.evalLens.at(-1), 32 * p.trainLen);
});

test("time budget: arithmetic by hand for the default preset, within its 600 s limit on 2 cores", () => {
  const e = estimateBudget(resolvePlan({ threads: 2, jobs: 1 }));
  // by hand, in one-thread CPU-seconds: training 600·16·64 = 614400 language-model tokens + 1800·8·64 = 921600
  // passkey fine-tuning tokens = 1536000 / 32000 tok/s = 48 s + 2 × 2 s overhead = 52 s per model;
  // eval 6 lengths × 8192 tokens + (8 passkey trials + 1 window of the fine-tuned copy) × (64+128+256+512+1024+2048
  // = 4032) = 49152 + 36288 = 85440 tokens / 20000 tok/s = 4.272 s + 2 s = 6.272 s per method; randomized-rope
  // evaluates its 49152 scored tokens and the copy's window 3 times: 147456 + 11 × 4032 = 191808 → 11.5904 s.
  // Two threads: each divided by the measured speed-up 1.6 → 32.5 s, 3.92 s, 7.244 s;
  // total 10 + 14·32.5 + 15·3.92 + 7.244 = 531.044 s
  assert.equal(e.trainings, 14);
  assert.equal(e.evaluations, 16);
  assert.ok(Math.abs(e.trainSecondsPerModel - (1536000 / 32000 + 4) / 1.6) < 1e-9);
  assert.ok(Math.abs(e.evalSecondsPerModel - 3.92) < 1e-9);
  assert.ok(Math.abs(e.totalSeconds - (10 + 14 * (1536000 / 32000 + 4) / 1.6 + 15 * 3.92 + 7.244)) < 1e-9);
  assert.ok(Math.abs(e.totalSeconds - 531.044) < 1e-6);
  assert.ok(e.withinLimit && e.totalSeconds <= 600);
  // one thread: no speed-up, the CPU-seconds as they are (10 + 14·52 + 15·6.272 + 11.5904 = 843.6704), over the limit
  const one = estimateBudget(resolvePlan({ threads: 1, jobs: 1 }));
  assert.ok(Math.abs(one.totalSeconds - (10 + 14 * (1536000 / 32000 + 4) + 15 * 6.272 + 11.5904)) < 1e-9);
  assert.equal(one.withinLimit, false);
  // two trainings at once, one thread each (npm start's default on 2 cores): the one-thread CPU-seconds shared by
  // the 2 jobs, plus half a training for the last one, alone: 10 + (14·52 + 15·6.272 + 11.5904)/2 + 52/2 = 452.8352
  const two = resolvePlan({ cores: 2 });
  assert.deepEqual([two.threads, two.jobs], [1, 2]);
  const perModel = 1536000 / 32000 + 4;
  assert.ok(Math.abs(estimateBudget(two).totalSeconds - (10 + (14 * perModel + 15 * 6.272 + 11.5904) / 2 + perModel / 2)) < 1e-9);
  assert.ok(Math.abs(estimateBudget(two).totalSeconds - 452.8352) < 1e-9);
  assert.ok(estimateBudget(two).withinLimit);
  // more jobs than trainings share nothing more
  assert.equal(estimateBudget({ ...two, methods: ["rope"], jobs: 4 }).totalSeconds, estimateBudget({ ...two, methods: ["rope"], jobs: 1 }).totalSeconds);
  // the passkey fine-tuning's own batch counts, not the language model's
  assert.ok(Math.abs(estimateBudget({ ...resolvePlan({ threads: 1, jobs: 1 }), train: { steps: 600, batch: 16, passkeySteps: 1800 } }).trainSecondsPerModel - ((600 + 1800) * 16 * 64 / 32000 + 4)) < 1e-9);
  // per model ≈ 30 s of language-model training, as the budget asks (the passkey fine-tuning comes on top)
  assert.ok(estimateBudget({ ...resolvePlan({ threads: 2, jobs: 1 }), train: { steps: 600, batch: 16, passkeySteps: 0 } }).trainSecondsPerModel <= 30);
  assert.ok(e.trainSecondsPerModel <= 2 * 30);
  // no passkey fine-tuning: no passkey evaluation either
  const plain = estimateBudget(resolvePlan({ threads: 1, jobs: 1, passkeySteps: 0 }));
  assert.ok(Math.abs(plain.evalSecondsPerModel - (49152 / 20000 + 2)) < 1e-9);
  assert.ok(Math.abs(plain.trainSecondsPerModel - (614400 / 32000 + 2)) < 1e-9);
  // seeds multiply the work; the full preset has no limit
  const full = estimateBudget(BENCH_PRESETS.full);
  assert.equal(full.trainings, 51, "the full preset adds transformer-xl, transformer-xl-mem (its own training, with memory) and adaptive-window: 17 trained methods × 3 seeds");
  assert.equal(full.limitSeconds, null);
  assert.equal(full.withinLimit, true);
  // a too-long run is reported as over the limit
  assert.equal(estimateBudget({ ...BENCH_PRESETS.default, train: { steps: 4000, batch: 16 } }).withinLimit, false);
});

test("threads and jobs: what is given is kept, the rest fills the cores; one job per core up to one per training", () => {
  assert.deepEqual(threadsAndJobs({ cores: 2 }, 14), { threads: 1, jobs: 2 }, "npm start on 2 cores: 2 trainings at once, 1 thread each");
  assert.deepEqual(threadsAndJobs({ cores: 2 }, 1), { threads: 2, jobs: 1 }, "one training: both cores as threads");
  assert.deepEqual(threadsAndJobs({ cores: 8 }, 3), { threads: 2, jobs: 3 });
  assert.deepEqual(threadsAndJobs({ cores: 2, threads: 2 }, 14), { threads: 2, jobs: 1 }, "--threads 2: one training at a time, as before jobs existed");
  assert.deepEqual(threadsAndJobs({ cores: 4, threads: 2 }, 14), { threads: 2, jobs: 2 });
  assert.deepEqual(threadsAndJobs({ cores: 2, jobs: 1 }, 14), { threads: 2, jobs: 1 });
  assert.deepEqual(threadsAndJobs({ cores: 2, jobs: 3, threads: 1 }, 14), { threads: 1, jobs: 3 });
  assert.deepEqual(threadsAndJobs({ cores: 1 }, 14), { threads: 1, jobs: 1 });
  for (const o of [{ jobs: 0 }, { jobs: 1.5 }, { threads: 0 }, { jobs: 300 }]) assert.throws(() => threadsAndJobs({ cores: 2, ...o }, 14), (e: unknown) => e instanceof ExtraposError && /--(jobs|threads) must be an integer in \[1, 256\]/.test(e.message), JSON.stringify(o));
  // stored in the plan's file form; a plan from before jobs (no `jobs` key) ran one training at a time
  const p = resolvePlan({ cores: 2 });
  assert.equal(planToJson(p).jobs, 2);
  assert.equal(planFromJson(planToJson(p)).jobs, 2);
  const { jobs: _drop, ...old } = planToJson(p);
  assert.equal(planFromJson(old).jobs, 1);
});

test("longformer's pattern: windows double with depth up to L/2, dilation 2 on the upper heads of the upper layers", () => {
  assert.deepEqual(longformerPattern({ trainLen: 64, maxEvalLen: 2048, nLayers: 2, nHeads: 4 }), { window: [16, 32], dilation: [[1, 1, 1, 1], [1, 1, 2, 2]] });
  assert.deepEqual(longformerPattern({ trainLen: 128, maxEvalLen: 4096, nLayers: 4, nHeads: 4 }).window, [8, 16, 32, 64]);
});

test("every bench method's model config passes parseModelConfig at the default and full sizes", () => {
  for (const preset of ["default", "full"] as const) {
    const p = resolvePlan({ preset, methods: BENCH_METHOD_NAMES, threads: 1 });
    for (const m of p.methods) {
      const cfg = parseModelConfig(modelJsonFor(p, m));
      assert.equal(cfg.contextLength, p.trainLen, m);
      assert.equal(cfg.dModel, p.model.d_model, m);
    }
  }
  const p = resolvePlan({ threads: 1 });
  assert.equal(parseModelConfig(modelJsonFor(p, "lstm")).model, "lstm");
  const rr = parseModelConfig(modelJsonFor(p, "randomized-rope")).pe;
  assert.ok(rr.kind === "rope" && rr.randomized?.maxLength === 4 * 2048, "randomized positions from [0, 4 × the longest eval length)");
  const fire = parseModelConfig(modelJsonFor(p, "fire")).pe;
  assert.ok(fire.kind === "fire" && fire.initL === 64, "FIRE threshold starts at L");
  assert.deepEqual(modelJsonFor(p, "rope-yarn"), modelJsonFor(p, "rope"), "variants use the rope model");
});

test("plan: variants bring their base, before them; jobs share the base's run folder", () => {
  assert.deepEqual(withBases(["alibi", "rope-yarn", "rope"]), ["alibi", "rope", "rope-yarn"]);
  assert.deepEqual(withBases(["rope-linear", "rope-yarn"]), ["rope", "rope-linear", "rope-yarn"]);
  const p = resolvePlan({ methods: ["rope-yarn", "alibi"], seeds: 2, threads: 1 });
  assert.deepEqual(jobsOf(p).map((j) => `${j.id}→${j.run}`), ["rope-s0→rope-s0", "rope-yarn-s0→rope-s0", "alibi-s0→alibi-s0", "rope-s1→rope-s1", "rope-yarn-s1→rope-s1", "alibi-s1→alibi-s1"]);
});

test("plan: overrides, eval lengths follow --train-len, and bad values are refused with the flag named", () => {
  const p = resolvePlan({ trainLen: 16, steps: 5, seeds: 3, threads: 1 });
  assert.deepEqual(p.evalLens, [16, 32, 64, 128, 256, 512]);
  assert.deepEqual(p.seeds, [0, 1, 2]);
  assert.equal(p.train.steps, 5);
  assert.deepEqual(resolvePlan({ evalLens: [256, 64, 64], threads: 1 }).evalLens, [64, 256], "sorted and deduplicated");
  const cases: Array<[Parameters<typeof resolvePlan>[0], RegExp]> = [
    [{ methods: ["alibi", "bogus"] }, /unknown bench method "bogus"/],
    [{ methods: [] }, /--methods must name at least one/],
    [{ trainLen: 0 }, /--train-len must be an integer in \[1, 65536\], got 0/],
    [{ evalLens: [64, -1] }, /--eval-lens must be an integer in \[1, 65536\], got -1/],
    [{ steps: 1.5 }, /--steps must be an integer/],
    [{ seeds: 0 }, /--seeds must be an integer in \[1, 100\], got 0/],
    [{ preset: "huge" as never }, /--preset must be one of default, full, got "huge"/],
  ];
  for (const [o, re] of cases) assert.throws(() => resolvePlan({ threads: 1, ...o }), (e: unknown) => e instanceof ExtraposError && re.test(e.message), String(re));
});

test("plan round-trips through its file form; a tampered stored plan is refused", () => {
  const p = resolvePlan({ methods: ["alibi", "rope-linear"], trainLen: 32, seeds: 2, threads: 3, data: "x.txt" });
  const back = planFromJson(JSON.parse(JSON.stringify(planToJson(p))));
  assert.deepEqual(back, p);
  const j = planToJson(p) as Record<string, unknown>;
  assert.throws(() => planFromJson({ ...j, train_len: -4 }), /--train-len must be an integer/);
  assert.throws(() => planFromJson({ ...j, methods: ["nope", "warp"] }), /unknown bench method "warp"/);
  assert.throws(() => planFromJson({ ...j, model: { d_model: 30, n_layers: 1, n_heads: 4 } }), /`d_model` must be divisible by `n_heads`/);
});

test("bench method names agree with the encoding registry: a method named after an encoding trains it under that name", () => {
  const p = resolvePlan({ preset: "default" });
  for (const name of ENCODING_NAMES) {
    if (!isBenchMethod(name)) continue;
    const cfg = parseModelConfig(modelJsonFor(p, name));
    assert.equal(cfg.pe.kind, name, name);
  }
  for (const name of ["nope", "kerple", "t5", "fire", "alibi", "rope", "sinusoidal", "adaptive", "learned", "xpos"]) assert.ok(isBenchMethod(name), name);
  assert.deepEqual(parseModelConfig(modelJsonFor(p, "kerple-power")).pe, { kind: "kerple", kernel: "power" });
});

test("passkey fine-tuning in the plan: the preset's steps, none when L cannot hold the template, recorded and read back (absent in old benches = none)", () => {
  const plan = resolvePlan({ threads: 1 });
  assert.equal(plan.train.passkeySteps, BENCH_PRESETS.default.train.passkeySteps);
  assert.equal(plan.train.passkeyLr, BENCH_PRESETS.default.train.passkeyLr);
  assert.deepEqual([plan.train.passkeyBatch, plan.train.passkeyCurriculum], [8, 0.5]);
  assert.equal(resolvePlan({ threads: 1, passkeySteps: 50 }).train.passkeySteps, 50);
  // the template " key:NNNNN." + " key:" + 5 digits is 21 byte tokens of the L + 1: L = 20 leaves no filler, L = 21 one token
  assert.equal(resolvePlan({ threads: 1, methods: ["rope"], trainLen: 20 }).train.passkeySteps, 0);
  assert.equal(resolvePlan({ threads: 1, methods: ["rope"], trainLen: 21 }).train.passkeySteps, BENCH_PRESETS.default.train.passkeySteps);
  assert.equal(passkeyStepsFor(600, 8), 0);
  assert.throws(() => resolvePlan({ threads: 1, passkeySteps: -1 }), /--passkey-steps must be an integer ≥ 0/);
  assert.throws(() => resolvePlan({ threads: 1, passkeySteps: 1.5 }), /--passkey-steps/);
  const json = planToJson(plan);
  assert.deepEqual(json.train, { steps: 600, batch: 16, lr: 1e-2, passkey_steps: plan.train.passkeySteps, passkey_lr: plan.train.passkeyLr, passkey_batch: 8, passkey_curriculum: 0.5 });
  assert.equal((json.budget as Record<string, unknown>).parallel_speedup, 1.6);
  assert.deepEqual(planFromJson(json), plan);
  const old = { ...json, train: { steps: 600, batch: 16, lr: 1e-2 } };
  assert.equal(planFromJson(old).train.passkeySteps, 0, "a bench from before the passkey fine-tuning resumes without it");
  // a bench from before the passkey batch and curriculum fine-tuned at the language model's batch, without one
  const before = planFromJson({ ...json, train: { steps: 600, batch: 16, lr: 1e-2, passkey_steps: 600, passkey_lr: 3e-3 } });
  assert.deepEqual([before.train.passkeyBatch, before.train.passkeyCurriculum], [16, 0]);
  const noSpeedup = { ...json, budget: { ...(json.budget as Record<string, unknown>) } };
  delete (noSpeedup.budget as Record<string, unknown>).parallel_speedup;
  assert.equal(planFromJson(noSpeedup).budget.parallelSpeedup, undefined, "budgets from before the speed-up read back without it (= 1)");
});

test("randomized methods draw positions from [0, 4 × the longest evaluation length): the longest evaluation still sees random gaps", () => {
  const c = { trainLen: 64, maxEvalLen: 2048, nLayers: 2, nHeads: 4 };
  for (const m of ["randomized-rope", "randomized-alibi"] as const) {
    const pe = benchMethod(m).kind === "trained" ? (BENCH_METHODS[m].model(c).pe as { randomized: { max_length: number } }) : null;
    assert.equal(pe!.randomized.max_length, 8192, `${m}: the reference draws from [0, 2048) for tests up to 500`);
    assert.equal(RANDOMIZED_MAX_FACTOR, 4);
  }
  // with max_length = n the n positions could only be 0 … n−1; with 4n they are not
  const pos = randomizedPositions(2048, 8192, new Rng(3));
  assert.ok(pos[2047]! > 2047 && pos.some((p, i) => i > 0 && p - pos[i - 1]! > 1), "gaps > 1 at the longest length");
});
