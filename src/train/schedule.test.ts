import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { DEFAULT_LR_SCHEDULE, learningRate, parseLrSchedule } from "./schedule.js";

const close = (a: number, b: number, msg: string): void => assert.ok(Math.abs(a - b) <= 1e-15 + 1e-12 * Math.abs(b), `${msg}: ${a} vs ${b}`);

test("warmup + cosine at the boundaries (values computed by hand from nanoGPT's get_lr)", () => {
  const s = parseLrSchedule({ maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10, decaySteps: 110 });
  close(learningRate(s, 0), 1e-3 / 11, "step 0 = maxLr·1/11, never 0");
  close(learningRate(s, 9), 1e-3 * 10 / 11, "last warmup step");
  close(learningRate(s, 10), 1e-3, "end of warmup = maxLr (cos 0 = 1)");
  close(learningRate(s, 60), 1e-4 + 0.5 * 9e-4, "half-way: cos(π/2) = 0 → mean of max and min");
  close(learningRate(s, 35), 1e-4 + 0.5 * (1 + Math.SQRT1_2) * 9e-4, "quarter: cos(π/4) = √½");
  close(learningRate(s, 110), 1e-4, "end of decay = minLr (cos π = −1)");
  close(learningRate(s, 111), 1e-4, "after decay = minLr");
  close(learningRate(s, 1_000_000), 1e-4, "far after");
  // Monotone: up during warmup, down during decay.
  for (let i = 1; i <= 10; i++) assert.ok(learningRate(s, i) > learningRate(s, i - 1));
  for (let i = 11; i <= 110; i++) assert.ok(learningRate(s, i) < learningRate(s, i - 1));
});

test("degenerate schedules: no warmup, warmup = decay, constant lr", () => {
  const noWarm = parseLrSchedule({ maxLr: 2, minLr: 0, warmupSteps: 0, decaySteps: 4 });
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => learningRate(noWarm, i)).map((v) => Math.round(v * 1e12) / 1e12), [2, 1 + Math.SQRT1_2, 1, 1 - Math.SQRT1_2, 0, 0].map((v) => Math.round(v * 1e12) / 1e12));
  const flat = parseLrSchedule({ maxLr: 0.5, minLr: 0.5, warmupSteps: 0, decaySteps: 0 });
  for (const i of [0, 1, 100]) assert.equal(learningRate(flat, i), 0.5);
  const edge = parseLrSchedule({ maxLr: 1, minLr: 0.1, warmupSteps: 3, decaySteps: 3 });
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => learningRate(edge, i)), [0.25, 0.5, 0.75, 1, 0.1]);
});

test("validation: unknown keys, bad values, defaults visible", () => {
  assert.deepEqual(parseLrSchedule({}), DEFAULT_LR_SCHEDULE);
  const bad: [unknown, RegExp][] = [
    [{ maxlr: 1 }, /unknown key `lr_schedule.maxlr`/],
    [{ maxLr: -1 }, /`lr_schedule.maxLr` must be a finite number > 0, got -1/],
    [{ maxLr: NaN }, /maxLr/],
    [{ minLr: 1 }, /`lr_schedule.minLr` must be a finite number in \[0, maxLr = 0.001\], got 1/],
    [{ warmupSteps: 1.5 }, /warmupSteps/],
    [{ warmupSteps: 10, decaySteps: 5 }, /`lr_schedule.decaySteps` must be an integer ≥ warmupSteps = 10, got 5/],
    [null, /must be an object/],
  ];
  for (const [x, re] of bad) assert.throws(() => parseLrSchedule(x), (e: unknown) => e instanceof ExtraposError && re.test(e.message), String(re));
  assert.throws(() => learningRate(DEFAULT_LR_SCHEDULE, -1), ExtraposError);
});
