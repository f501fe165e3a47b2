/**
 * `extrapos bench --suite tasks [--tasks copy,reverse,associative-recall] [--methods …] [--seeds N]
 * [--steps S] [--task-lengths A:B] [--out DIR] [--threads T] [--jobs J]`: the task suite (src/report/task-suite.ts),
 * a Ruoss-style table of per-token accuracy per test-length band, in reports/<timestamp>/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { collectEnvironment } from "../report/environment.js";
import { recipeSummary, resolveTaskSuitePlan, runTaskSuite, taskBands, type TaskRunner } from "../report/task-suite.js";
import { realTaskRunner } from "../report/task-suite-real.js";
import { getNumber, getString, type ParsedArgs } from "./args.js";
import type { BenchDeps } from "./bench.js";

/** Flags of the LM bench that the task suite does not take. */
const LM_ONLY = ["preset", "train-len", "eval-lens", "data", "resume", "dry-run"] as const;

export async function runTaskBench(a: ParsedArgs, argv: string[], deps: BenchDeps & { taskRunner?: TaskRunner }, dirFor: (out: string) => string): Promise<number> {
  const clash = LM_ONLY.find((f) => a.options.has(f));
  if (clash) throw new ExtraposError("invalid_argument", `--${clash} applies to the language-modelling bench, not --suite tasks`);
  const list = (f: string) => getString(a, f)?.split(",").map((x) => x.trim()).filter(Boolean);
  const range = getString(a, "task-lengths");
  let trainLengths: [number, number] | undefined;
  if (range !== undefined) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(range);
    if (!m) throw new ExtraposError("invalid_argument", `--task-lengths must be A:B, got ${JSON.stringify(range)}`);
    trainLengths = [Number(m[1]), Number(m[2])];
  }
  const tasks = list("tasks"), methods = list("methods"), seeds = getNumber(a, "seeds"), steps = getNumber(a, "steps");
  const opt = (f: "threads" | "jobs") => { const v = getNumber(a, f); return v !== undefined ? { [f]: v } : {}; };
  const plan = resolveTaskSuitePlan({
    ...(tasks ? { tasks } : {}), ...(methods ? { methods } : {}), ...(seeds !== undefined ? { seeds } : {}), ...(steps !== undefined ? { steps } : {}),
    ...(trainLengths ? { trainLengths } : {}), ...opt("threads"), ...opt("jobs"),
  });
  const runner = deps.taskRunner ?? realTaskRunner();
  const dir = dirFor(getString(a, "out") ?? "reports");
  mkdirSync(dir, { recursive: true });
  deps.stderr.write(`extrapos bench --suite tasks: ${plan.tasks.join(", ")} × ${plan.methods.join(", ")} × ${plan.seeds.length} seed(s); ${recipeSummary(plan)}; ${plan.jobs} job(s) at once × ${plan.threads} thread(s); bands ${plan.tasks.map((t) => `${t} ${taskBands(plan, t).map((b) => `${b[0]}–${b[1]}`).join(", ")}`).join("; ")}\n  folder: ${dir}\n`);
  const r = await runTaskSuite({ dir, plan, runner, env: collectEnvironment(), command: ["extrapos", "bench", ...argv].join(" "), stream: deps.stderr, now: deps.now });
  const failed = r.cells.filter((c) => c.status !== "ok");
  deps.stdout.write(`report: ${join(dir, "index.html")}\nresults: ${join(dir, "task-results.json")}, ${join(dir, "task-results.csv")}\n`);
  if (failed.length) deps.stderr.write(`extrapos bench: ${failed.length} cell(s) failed: ${failed.map((c) => `${c.task} ${c.method} (${c.errors.join("; ")})`).join(", ")}\n`);
  return 0;
}
