// Where does a training step spend its time? Wraps the engine's parallelFor and adds up wall time per
// kernel over a few steps of the issue-3 reference model (tiny by default), then prints a table.
// Usage: node scripts/profile-step.mjs [tiny|small] [threads] [steps]
import { createEngine } from "../dist/engine/threads/pool.js";
import { createTransformer } from "../dist/model/gpt/index.js";
import { benchModelConfig, TRAIN_CONFIGS } from "../dist/bench/train.js";
import { Rng } from "../dist/pe/random.js";
import { timeKernels } from "./kernel-timer.mjs";

const [config = "tiny", threadsArg = "2", stepsArg = "6"] = process.argv.slice(2);
const threads = Number(threadsArg), steps = Number(stepsArg);
const c = TRAIN_CONFIGS[config];
const engine = await createEngine({ threads });
const timer = timeKernels(engine);
const model = createTransformer(benchModelConfig(config), { engine, seed: 0 });
const rng = new Rng(0);
const N = c.B * c.T;
const inputs = Int32Array.from({ length: N }, () => rng.int(256));
const targets = Int32Array.from({ length: N }, () => rng.int(256));
const step = () => { model.zeroGrad(); model.forwardBackward({ B: c.B, T: c.T, inputs, targets }, 1); model.optimizerStep(3e-4, 1); };
step(); step();
timer.on = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const wall = performance.now() - t0;
const totals = new Map([...timer.times].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0)]));
const inKernels = [...totals.values()].reduce((a, b) => a + b, 0);
const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]);
console.log(`${config}, ${threads} thread(s): ${(wall / steps).toFixed(1)} ms/step, ${((N * steps) / (wall / 1000)).toFixed(0)} tokens/s; in kernels ${((100 * inKernels) / wall).toFixed(1)}%`);
for (const [name, ms] of rows) console.log(`${name.padEnd(28)} ${(ms / steps).toFixed(2).padStart(8)} ms/step ${((100 * ms) / wall).toFixed(1).padStart(6)}%`);
await engine.dispose();
