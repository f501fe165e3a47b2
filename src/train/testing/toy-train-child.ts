/**
 * TEST-ONLY entry: trains the toy model in a child process so that a test can kill it with SIGKILL
 * (or SIGINT) mid-run. Usage: node toy-train-child.js OUT_DIR STEPS CHECKPOINT_EVERY DELAY_MS [resume]
 * Prints "step N" on stdout after each step. SIGINT is wired as `extrapos train` wires it.
 */
import { trainRun } from "../run.js";
import { TrainingInterrupted } from "../trainer.js";
import { createToyModel } from "./toy-model.js";
import { TOY_MODEL_JSON, toyTraining } from "./toy-run.js";
import { toyCorpus } from "./toy-data.js";

const [out, steps, every, delay, resume] = process.argv.slice(2);
const controller = new AbortController();
process.on("SIGINT", () => controller.abort());
trainRun({
  out: out!, resume: resume === "resume", model: TOY_MODEL_JSON, training: toyTraining(Number(steps), Number(every)), corpus: toyCorpus(), progress: false, signal: controller.signal,
  createModel: (cfg, o) => createToyModel(cfg, { ...o, stepDelayMs: Number(delay) }),
  onProgress: (p) => process.stdout.write(`step ${p.step}\n`),
}).then(
  () => { process.exitCode = 0; },
  (e) => {
    if (e instanceof TrainingInterrupted) { process.stdout.write(`interrupted ${e.step}\n`); process.exitCode = 130; return; }
    process.stderr.write(String(e) + "\n");
    process.exitCode = 1;
  },
);
