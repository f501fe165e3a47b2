/**
 * TEST-ONLY entry: trains the toy model in a child process so that a test can kill it with SIGKILL
 * (or SIGINT) mid-run. Usage: node toy-train-child.js OUT_DIR STEPS CHECKPOINT_EVERY DELAY_MS [resume]
 * Prints "step N" on stdout after each step. SIGINT is wired as `extrapos train` wires it.
 * TOY_KILL_IN_SAVE="N:write" kills the process (SIGKILL, itself) in the middle of its N-th file write
 * (half the bytes written), "N:rename" just before its N-th rename of a temp file over its target: the
 * fault-injection test's way to land inside a save, every time.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { trainRun } from "../run.js";
import { TrainingInterrupted } from "../trainer.js";
import { createToyModel } from "./toy-model.js";
import { TOY_MODEL_JSON, toyTraining } from "./toy-run.js";
import { toyCorpus } from "./toy-data.js";

const [out, steps, every, delay, resume] = process.argv.slice(2);

const killInSave = process.env.TOY_KILL_IN_SAVE;
if (killInSave) {
  const [n, phase] = killInSave.split(":");
  let count = 0;
  const die = (): never => {
    process.kill(process.pid, "SIGKILL");
    throw new Error("unreachable");
  };
  if (phase === "rename") {
    const rename = fs.renameSync;
    fs.renameSync = (from: fs.PathLike, to: fs.PathLike): void => {
      if (String(from).endsWith(".tmp") && ++count === Number(n)) die();
      rename(from, to);
    };
  } else {
    const write = fs.writeSync as (fd: number, b: Uint8Array, off?: number, len?: number) => number;
    fs.writeSync = ((fd: number, b: unknown, off?: number, len?: number, ...rest: unknown[]): number => {
      if (b instanceof Uint8Array && ++count === Number(n)) {
        const o = off ?? 0, l = len ?? b.length - o;
        write(fd, b, o, Math.floor(l / 2));
        die();
      }
      return (write as (...a: unknown[]) => number)(fd, b, off, len, ...rest);
    }) as typeof fs.writeSync;
  }
  syncBuiltinESMExports(); // the modules' `import { renameSync, writeSync } from "node:fs"` see the patched functions
}
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
