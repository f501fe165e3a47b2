/**
 * Queued sweeps end to end, with real processes: a redis-server of our own (free loopback port, temp
 * folder, AOF on), `extrapos worker` processes and `extrapos bench --queue`, compared number for number
 * with the same study run locally. Tiny models and short BullMQ lock/stalled intervals keep it short.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { resolvePlan } from "../report/plan.js";
import { cellsOf, payloadOf } from "./cells.js";
import { openRedis, parseRedisUrl } from "./connection.js";
import { QUEUE_NAME } from "./names.js";

const MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const ROOT = mkdtempSync(join(tmpdir(), "extrapos-queue-"));
const STUDY = ["--train-len", "16", "--eval-lens", "16,32", "--steps", "60", "--threads", "1"];
const WORKER = ["--threads", "1", "--checkpoint-every", "10", "--lock-ms", "1500", "--stalled-ms", "500"];
/** Long evaluation lengths: a cell's evaluation runs for seconds (without returning to its process's event loop), so it can be caught running. */
const LONG_EVAL = ["--train-len", "16", "--eval-lens", "16,1024,2048,4096", "--steps", "20", "--threads", "1"];

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** A redis-server in its own folder; `stop` shuts it down (AOF flushed), `start` brings it back on the same port and data. */
class RedisServer {
  proc: ChildProcess | undefined;
  constructor(readonly dir: string, readonly port: number, readonly extra: string[] = []) {
    mkdirSync(dir, { recursive: true });
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const p = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "", ...this.extra], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = p;
    let out = "";
    await new Promise<void>((done, fail) => {
      p.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("Ready to accept connections")) done();
      });
      p.once("exit", (code) => fail(new Error(`redis-server exited (${code}): ${out}`)));
      p.once("error", fail);
    });
  }
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await gone;
  }
}

interface Proc {
  proc: ChildProcess;
  out: string;
  err: string;
  exit: Promise<number>;
}

function cli(args: string[], cwd?: string): Proc {
  const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"], ...(cwd ? { cwd } : {}) });
  const r: Proc = { proc, out: "", err: "", exit: undefined as unknown as Promise<number> };
  proc.stdout!.on("data", (d: Buffer) => (r.out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (r.err += d.toString()));
  r.exit = new Promise((done) => proc.once("exit", (code, signal) => done(code ?? (signal ? 128 : -1))));
  return r;
}

/** Waits until worker `w` is connected and takes jobs (its first line; at most 60 s). */
async function ready(w: Proc): Promise<void> {
  for (const t0 = performance.now(); !/^extrapos worker: pid /m.test(w.err); await new Promise((r) => setTimeout(r, 25))) {
    assert.ok(performance.now() - t0 < 60_000 && w.proc.exitCode === null, `the worker did not start:\n${w.err}`);
  }
}

async function stopWorker(w: Proc): Promise<void> {
  if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill("SIGTERM");
  await w.exit;
}

function onlyFolder(dir: string): string {
  const names = readdirSync(dir);
  assert.equal(names.length, 1, `${dir} holds ${names.join(", ")}`);
  return join(dir, names[0]!);
}

/** `extrapos bench ARGS` run here into ROOT/<name>: the reference a queued run must equal; its folder. */
async function localBench(name: string, args: string[]): Promise<string> {
  const local = cli(["bench", ...args, "--out", join(ROOT, name)]);
  assert.equal(await local.exit, 0, local.err);
  return onlyFolder(join(ROOT, name));
}

type State = { runs: Record<string, { status: string; train?: Record<string, unknown> }>; jobs: Record<string, { status: string; eval?: Record<string, unknown> }> };

function readState(dir: string): State {
  return JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as State;
}

/** The numbers of a study (everything but timings), per result and per run. */
function numbers(s: State, ids: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const id of ids) {
    const j = s.jobs[id];
    assert.equal(j?.status, "done", `${id}: ${JSON.stringify(j)}`);
    const { wallSeconds: _w, ...ev } = j!.eval!;
    out[`eval ${id}`] = ev;
    const run = id.replace(/^rope-(yarn|linear)/, "rope");
    const r = s.runs[run];
    assert.equal(r?.status, "done", `${run}: ${JSON.stringify(r)}`);
    const { wallSeconds: _a, tokensPerSecond: _b, ...tr } = r!.train!;
    out[`train ${run}`] = tr;
  }
  return out;
}

let redis: RedisServer;
let reference: State;
const IDS = ["alibi-s0", "rope-s0", "rope-yarn-s0", "nope-s0", "alibi-s1", "rope-s1", "rope-yarn-s1", "nope-s1"];

before(async () => {
  redis = new RedisServer(join(ROOT, "redis"), await freePort());
  await redis.start();
  // The local study, the reference every queued run must equal.
  reference = readState(await localBench("local", ["--methods", "alibi,rope,rope-yarn,nope", "--seeds", "2", ...STUDY]));
});

after(async () => {
  await redis?.stop();
  rmSync(ROOT, { recursive: true, force: true });
});

test("queue: a 4-method, 2-seed study on 2 workers equals the local run number for number", { timeout: 120_000 }, async () => {
  const art = join(ROOT, "art-equal");
  const workers = [cli(["worker", "--queue", redis.url, "--artifacts", art, ...WORKER]), cli(["worker", "--queue", redis.url, "--artifacts", art, ...WORKER])];
  try {
    const b = cli(["bench", "--methods", "alibi,rope,rope-yarn,nope", "--seeds", "2", ...STUDY, "--out", join(ROOT, "q-equal"), "--queue", redis.url]);
    // A cell trains in well under a second and the status is printed at most every 2 s: hold one in its
    // training until a status line shows it, else whether one does is luck.
    const STATUS = /queue: \d+ waiting, \d+ active \(.*@.*step \d+\/60.*\), \d+\/8 done, 0 failed \| [\d,]+ tok\/s \| ETA/;
    await holdInTraining(60, () => STATUS.test(b.err));
    assert.equal(await b.exit, 0, b.err);
    const dir = onlyFolder(join(ROOT, "q-equal"));
    assert.deepEqual(numbers(readState(dir), IDS), numbers(reference, IDS));
    for (const f of ["index.html", "results.json", "results.csv", "perplexity.svg", "queue.json"]) assert.ok(existsSync(join(dir, f)), f);
    const study = JSON.parse(readFileSync(join(dir, "queue.json"), "utf8")) as { cells: Record<string, { worker: number; folder: string; shared: boolean }> };
    assert.deepEqual(Object.keys(study.cells).sort(), cellsOf(resolvePlan({ methods: ["alibi", "rope", "rope-yarn", "nope"], seeds: 2 })).map((c) => c.id).sort());
    const pids = new Set(Object.values(study.cells).map((c) => c.worker));
    assert.deepEqual([...pids].sort(), workers.map((w) => w.proc.pid).sort(), "both workers ran cells");
    assert.ok(Object.values(study.cells).every((c) => c.shared && existsSync(join(c.folder, "state.json"))));
    assert.match(b.err, STATUS);
    assert.match(b.out, /^rope-yarn\s/m);
  } finally {
    await Promise.all(workers.map(stopWorker));
  }
});

test("queue: the report draws learnable encodings as trained (from the workers' shared run folders), like a local bench", { timeout: 120_000 }, async () => {
  const ref = await localBench("local-enc", ["--methods", "t5,kerple", ...STUDY]);
  const w = cli(["worker", "--queue", redis.url, "--artifacts", join(ROOT, "art-enc"), ...WORKER]);
  try {
    const b = cli(["bench", "--methods", "t5,kerple", ...STUDY, "--out", join(ROOT, "q-enc"), "--queue", redis.url]);
    assert.equal(await b.exit, 0, b.err);
    const queued = onlyFolder(join(ROOT, "q-enc"));
    for (const f of ["pe-t5.svg", "pe-kerple.svg"]) assert.equal(readFileSync(join(queued, f), "utf8"), readFileSync(join(ref, f), "utf8"), `${f}: the trained encoding, as the local report draws it`);
  } finally {
    await stopWorker(w);
  }
});

test("queue: without shared artifacts, an eval-only variant waits for the worker that holds its model — another machine's worker does not fail it", { timeout: 180_000 }, async () => {
  const ref = readState(await localBench("local-route", ["--methods", "rope,rope-yarn", ...LONG_EVAL])); // the variant's evaluation can be caught running
  // two "machines": workers without --artifacts, each in its own folder (./extrapos-worker-runs there)
  const [m1, m2] = ["m1", "m2"].map((m) => join(ROOT, "hosts", m)) as [string, string];
  for (const h of [m1, m2]) mkdirSync(h, { recursive: true });
  const a = cli(["worker", "--queue", redis.url, ...WORKER], m1);
  let b: Proc | undefined, again: Proc | undefined;
  const bench = cli(["bench", "--methods", "rope,rope-yarn", ...LONG_EVAL, "--out", join(ROOT, "q-route"), "--queue", redis.url]);
  try {
    // m1 trained rope-s0 and is evaluating its variant when it is lost; m2's worker is the only one left
    await waitForPhase((p) => p.phase === "eval", "rope-s0+variants");
    await killWorkerAlone(a);
    b = cli(["worker", "--queue", redis.url, ...WORKER], m2);
    for (let i = 0; i < 800 && !/left for the worker that holds it/.test(b.err); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(b.err, /rope-s0\+variants: its model rope-s0 is on .* in .*m1.*, not in .*m2.*: left for the worker that holds it/);
    await new Promise((r) => setTimeout(r, 1500)); // m2 keeps handing it back: no attempt spent, nothing failed
    assert.doesNotMatch(b.err, /failed \(attempt/);
    // m1 comes back: its worker evaluates the variant
    again = cli(["worker", "--queue", redis.url, ...WORKER], m1);
    assert.equal(await bench.exit, 0, bench.err);
    const dir = onlyFolder(join(ROOT, "q-route"));
    const ids = ["rope-s0", "rope-yarn-s0"];
    assert.deepEqual(numbers(readState(dir), ids), numbers(ref, ids));
    const cells = (JSON.parse(readFileSync(join(dir, "queue.json"), "utf8")) as { cells: Record<string, { worker: number; shared: boolean }> }).cells;
    assert.equal(cells["rope-s0+variants"]!.worker, again.proc.pid, "the variant ran on the machine holding its model");
    assert.equal(cells["rope-s0"]!.shared, false);
    assert.doesNotMatch(b.err + again.err, /failed \(attempt/);
  } finally {
    await stopWorker(bench);
    for (const w of [a, b, again]) if (w) await stopWorker(w);
  }
});

/** Polls the queue until a job is active in training at step ≥ `step`; returns its worker's pid. */
async function waitForTraining(step: number): Promise<number> {
  return (await waitForTrainingCell(step)).pid;
}

/** Polls the queue until a job is active in training at step ≥ `step` (and, if given, is cell `only`); its worker's pid and cell id. */
async function waitForTrainingCell(step: number, only?: string): Promise<{ pid: number; cell: string }> {
  return waitForPhase((p) => p.phase === "train" && (p.step ?? 0) >= step, only);
}

type Phase = { phase: string; step?: number };

/** An active job whose progress satisfies `ok` (and, if given, is cell `only`), now: its worker's pid and cell id, or null. */
async function activeJob(queue: Queue, ok: (p: Phase) => boolean, only?: string): Promise<{ pid: number; cell: string } | null> {
  for (const job of await queue.getActive()) {
    const p = job.progress as { pid?: number; progress?: Phase };
    if (p?.progress && ok(p.progress) && p.pid && (only === undefined || job.name === only)) return { pid: p.pid, cell: job.name };
  }
  return null;
}

/** Runs `f` with a client of the test's queue. */
async function withQueue<T>(f: (queue: Queue) => Promise<T>): Promise<T> {
  const connection = openRedis(parseRedisUrl(redis.url));
  const queue = new Queue(QUEUE_NAME, { connection });
  try {
    return await f(queue);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Polls the queue until an active job's progress satisfies `ok` (and, if given, is cell `only`); its worker's pid and cell id. */
async function waitForPhase(ok: (p: Phase) => boolean, only?: string): Promise<{ pid: number; cell: string }> {
  return withQueue(async (queue) => {
    for (let i = 0; i < 1200; i++) {
      const found = await activeJob(queue, ok, only);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("the awaited phase was not seen");
  });
}

/**
 * Holds a cell in its training until `seen()` (at most 60 s): waits for a cell training (step < `steps`), stops its
 * process (SIGSTOP; the job stays active, its worker renews the lock), then lets it go on (SIGCONT). Only time
 * passes, the numbers are the same. A cell that had left its training when it was stopped is let go, and the next
 * one is taken.
 */
async function holdInTraining(steps: number, seen: () => boolean): Promise<void> {
  const training = (p: Phase) => p.phase === "train" && (p.step ?? 0) < steps;
  for (let tries = 0; tries < 8; tries++) {
    const { pid, cell } = await waitForPhase(training);
    const [child] = childrenOf(pid);
    if (child === undefined) continue;
    process.kill(child, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 1000)); // progress sent before the stop has landed
      if ((await withQueue((q) => activeJob(q, training, cell)))?.pid !== pid) continue;
      for (const t0 = performance.now(); !seen(); await new Promise((r) => setTimeout(r, 50))) {
        if (performance.now() - t0 > 60_000) throw new Error(`${cell} was held in its training for 60 s and not seen`);
      }
      return;
    } finally {
      process.kill(child, "SIGCONT");
    }
  }
  throw new Error("no cell was caught in its training");
}

/** Pids of the processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).split("\n").map((l) => Number(l.trim())).filter((n) => n > 0);
}

/** Whether process `pid` still runs (a zombie, dead but not yet reaped by its new parent, does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** kill -9 of worker `w` alone (not its child), as when its process is killed; asserts its cell's child process is gone within 2 s. */
async function killWorkerAlone(w: Proc): Promise<void> {
  const children = childrenOf(w.proc.pid!);
  assert.equal(children.length, 1, "the worker runs its cell in one child process");
  w.proc.kill("SIGKILL");
  await w.exit;
  const killed = performance.now();
  while (children.some(alive) && performance.now() - killed < 2000) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(children.filter(alive), [], "the killed worker's child is gone within 2 s");
}

test("queue: kill -9 of a worker mid-training — its child dies with it; another resumes from the checkpoint; equal numbers, no cell counted twice", { timeout: 180_000 }, async () => {
  // a longer training than STUDY's (a cell of that trains in well under a second, too fast to be caught mid-way),
  // with its own local reference
  const LONG = ["--train-len", "16", "--eval-lens", "16", "--steps", "600", "--threads", "1"];
  const ref = readState(await localBench("local-kill", ["--methods", "alibi", ...LONG]));
  const art = join(ROOT, "art-kill");
  const cell = "alibi-s0";
  const KILL_WORKER = ["--threads", "1", "--checkpoint-every", "50", "--lock-ms", "1500", "--stalled-ms", "500"];
  const a = cli(["worker", "--queue", redis.url, "--artifacts", art, ...KILL_WORKER]);
  let b: Proc | undefined;
  const bench = cli(["bench", "--methods", "alibi", ...LONG, "--out", join(ROOT, "q-kill"), "--queue", redis.url]);
  try {
    // kill only once a checkpoint is on disk and training has gone past it, so there is something to resume from
    await waitForTrainingCell(60, cell);
    const ckpt = (): boolean => existsSync(art) && readdirSync(art).some((s) => existsSync(join(art, s, cell, "runs", cell, "train_state.safetensors")));
    for (let i = 0; i < 800 && !ckpt(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(ckpt(), "a checkpoint was written before the kill");
    const { pid } = await waitForTrainingCell(120, cell);
    assert.equal(pid, a.proc.pid);
    // kill -9 the worker alone: the child process training its cell must die with it, at once, by itself
    await killWorkerAlone(a);
    b = cli(["worker", "--queue", redis.url, "--artifacts", art, ...KILL_WORKER]);
    assert.equal(await bench.exit, 0, bench.err);
    const dir = onlyFolder(join(ROOT, "q-kill"));
    assert.deepEqual(numbers(readState(dir), [cell]), numbers(ref, [cell]));
    const study = JSON.parse(readFileSync(join(dir, "queue.json"), "utf8")) as { cells: Record<string, { worker: number; resumed: boolean }> };
    assert.equal(study.cells[cell]!.worker, b.proc.pid, "the killed worker's cell was finished by the other");
    assert.equal(study.cells[cell]!.resumed, true, "it continued from the checkpoint");
    assert.match(b.err, /alibi-s0: done \(alibi-s0\), resumed from a checkpoint/);
    assert.equal(bench.err.match(/^alibi-s0: done/gm)?.length, 1, `alibi-s0 counted once:\n${bench.err}`);
    // metrics.jsonl of the resumed run: every logged step once
    const steps = readFileSync(join(art, readdirSync(art)[0]!, cell, "runs", cell, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { step: number }).step);
    assert.deepEqual(steps, [...new Set(steps)].sort((x, y) => x - y));
  } finally {
    await stopWorker(bench); // still waiting when an assertion failed
    await stopWorker(a);
    if (b) await stopWorker(b);
  }
});

test("queue: kill -9 of a worker mid-evaluation — its child dies at once, not after the evaluation; another evaluates the cell again, equal numbers", { timeout: 180_000 }, async () => {
  const ref = readState(await localBench("local-kill-eval", ["--methods", "alibi", ...LONG_EVAL]));
  const art = join(ROOT, "art-kill-eval");
  const cell = "alibi-s0";
  const a = cli(["worker", "--queue", redis.url, "--artifacts", art, ...WORKER]);
  let b: Proc | undefined;
  const bench = cli(["bench", "--methods", "alibi", ...LONG_EVAL, "--out", join(ROOT, "q-kill-eval"), "--queue", redis.url]);
  try {
    const { pid } = await waitForPhase((p) => p.phase === "eval", cell);
    assert.equal(pid, a.proc.pid);
    await new Promise((r) => setTimeout(r, 300)); // well inside the evaluation
    await killWorkerAlone(a);
    const folder = join(art, readdirSync(art)[0]!, cell);
    const evaluated = (): boolean => (readState(folder).jobs[cell]?.status ?? "") === "done";
    assert.equal(evaluated(), false, "the killed worker's child did not finish the evaluation");
    b = cli(["worker", "--queue", redis.url, "--artifacts", art, ...WORKER]);
    assert.equal(await bench.exit, 0, bench.err);
    const dir = onlyFolder(join(ROOT, "q-kill-eval"));
    assert.deepEqual(numbers(readState(dir), [cell]), numbers(ref, [cell]));
    const study = JSON.parse(readFileSync(join(dir, "queue.json"), "utf8")) as { cells: Record<string, { worker: number }> };
    assert.equal(study.cells[cell]!.worker, b.proc.pid, "the killed worker's cell was finished by the other");
    assert.equal(bench.err.match(/^alibi-s0: done/gm)?.length, 1, `alibi-s0 counted once:\n${bench.err}`);
  } finally {
    await stopWorker(bench); // still waiting when an assertion failed
    await stopWorker(a);
    if (b) await stopWorker(b);
  }
});

test("queue: Redis restarted mid-study (AOF on) — coordinator and workers reconnect, the study completes with equal numbers", { timeout: 120_000 }, async () => {
  const art = join(ROOT, "art-restart");
  const workers = [cli(["worker", "--queue", redis.url, "--artifacts", art, ...WORKER]), cli(["worker", "--queue", redis.url, "--artifacts", art, ...WORKER])];
  try {
    const bench = cli(["bench", "--methods", "rope,nope", "--seeds", "2", ...STUDY, "--out", join(ROOT, "q-restart"), "--queue", redis.url]);
    // a cell is running (training or evaluating): mid-study. Not "training at step ≥ 5": a cell's 60 steps
    // take well under the worker's 500 ms progress interval, so only its first and last steps are ever
    // published, and the last one is replaced by the evaluation's within milliseconds — a sampling race
    await waitForPhase(() => true);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 300));
    await redis.start();
    assert.equal(await bench.exit, 0, bench.err);
    const ids = ["rope-s0", "nope-s0", "rope-s1", "nope-s1"];
    assert.deepEqual(numbers(readState(onlyFolder(join(ROOT, "q-restart"))), ids), numbers(reference, ids));
  } finally {
    await Promise.all(workers.map(stopWorker));
  }
});

test("queue: a cell failing its attempts is shown failed with its error, its variants with it, and the rest go on", { timeout: 90_000 }, async () => {
  const art = join(ROOT, "art-fail");
  const out = join(ROOT, "q-fail");
  const bench = cli(["bench", "--methods", "alibi,rope-yarn", ...STUDY, "--out", out, "--queue", redis.url, "--attempts", "2"]);
  let study: string | undefined;
  for (let i = 0; i < 2000 && study === undefined; i++) {
    const dir = existsSync(out) ? readdirSync(out)[0] : undefined;
    if (dir && existsSync(join(out, dir, "queue.json"))) study = (JSON.parse(readFileSync(join(out, dir, "queue.json"), "utf8")) as { study: string }).study;
    else await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(study, "the study started");
  // rope-s0's folder cannot be created (a file stands in its place): every attempt of that cell fails
  mkdirSync(join(art, study), { recursive: true });
  writeFileSync(join(art, study, "rope-s0"), "in the way\n");
  const w = cli(["worker", "--queue", redis.url, "--artifacts", art, ...WORKER]);
  try {
    assert.equal(await bench.exit, 0, bench.err);
    const s = readState(onlyFolder(out));
    assert.deepEqual(numbers(s, ["alibi-s0"]), numbers(reference, ["alibi-s0"]));
    const rope = s.jobs["rope-s0"] as { status: string; stage: string; error: string };
    assert.equal(rope.status, "failed");
    assert.equal(rope.stage, "train");
    assert.match(rope.error, /EEXIST|ENOTDIR|not a directory|already exists/);
    const yarn = s.jobs["rope-yarn-s0"] as { status: string; error: string };
    assert.equal(yarn.status, "failed");
    assert.match(yarn.error, /^its model rope-s0 failed to train: /);
    assert.match(bench.err, /^rope-s0: FAILED: /m);
    assert.match(bench.err, /did not finish: .*rope/);
    assert.equal(w.err.match(/rope-s0: failed \(attempt \d\)/g)?.length, 2, `two attempts:\n${w.err}`);
  } finally {
    await stopWorker(w);
  }
});

test("queue: --resume reattaches to a study whose coordinator was stopped; the workers had gone on", { timeout: 90_000 }, async () => {
  const out = join(ROOT, "q-resume");
  const first = cli(["bench", "--methods", "alibi,nope", ...STUDY, "--out", out, "--queue", redis.url]);
  for (let i = 0; i < 2000 && !(existsSync(out) && readdirSync(out).length > 0 && existsSync(join(out, readdirSync(out)[0]!, "queue.json"))); i++) await new Promise((r) => setTimeout(r, 25));
  first.proc.kill("SIGINT");
  assert.equal(await first.exit, 130, first.err);
  const dir = onlyFolder(out);
  assert.match(first.err, /Resume with: extrapos bench --resume /);
  const w = cli(["worker", "--queue", redis.url, "--artifacts", join(ROOT, "art-resume"), ...WORKER]);
  try {
    await waitForTraining(1); // the queued cells run without a coordinator
    const again = cli(["bench", "--resume", dir]);
    assert.equal(await again.exit, 0, again.err);
    assert.deepEqual(numbers(readState(dir), ["alibi-s0", "nope-s0"]), numbers(reference, ["alibi-s0", "nope-s0"]));
    assert.match(again.err, /study .*: 2 of 2 cells queued/);
  } finally {
    await stopWorker(w);
  }
});

test("queue: malformed and hostile payloads fail their job at once with the reason; nothing is run or written", { timeout: 60_000 }, async () => {
  const art = join(ROOT, "art-bad");
  const w = cli(["worker", "--queue", redis.url, "--artifacts", art, ...WORKER]);
  await ready(w);
  const connection = openRedis(parseRedisUrl(redis.url));
  const queue = new Queue(QUEUE_NAME, { connection });
  try {
    const plan = resolvePlan({ methods: ["alibi"], trainLen: 16, evalLens: [16], steps: 5, threads: 1 });
    const good = payloadOf("bad-study", plan, cellsOf(plan)[0]!);
    const bad: Array<[string, unknown, RegExp]> = [
      ["text", "train everything", /must be an object/],
      ["traversal", { ...good, study: "../../../tmp/x" }, /`study` must match/],
      ["method", { ...good, cell: { ...good.cell, methods: ["require('child_process')"] } }, /`cell.methods`/],
      ["steps", { ...good, plan: { ...good.plan, train: { steps: 1e300, batch: 16, lr: 0.01 } } }, /--steps must be an integer/],
      ["model", { ...good, plan: { ...good.plan, model: { d_model: "64; drop", n_layers: 2, n_heads: 4 } } }, /d_model/],
      ["huge", { ...good, plan: { ...good.plan, data: "x".repeat(100_000) } }, /more than the 65536/],
    ];
    for (const [name, data] of bad) await queue.add(name, data, { jobId: `bad-${name}`, attempts: 3 });
    for (const [name, , re] of bad) {
      const id = `bad-${name}`;
      for (let i = 0; i < 400 && (await queue.getJobState(id)) !== "failed"; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(await queue.getJobState(id), "failed", name);
      // read once failed (final: not retried): a job read before its state was asked can still be the active one
      const job = await queue.getJob(id);
      assert.match(job!.failedReason, /^invalid job payload: /, name);
      assert.match(job!.failedReason, re, name);
      assert.equal(job!.attemptsMade, 1, `${name}: not retried`);
    }
    assert.ok(!existsSync(art) || readdirSync(art).length === 0, "nothing written");
  } finally {
    await queue.close();
    connection.disconnect();
    await stopWorker(w);
  }
});

test("queue: a wrong URL, a refused connection and refused credentials are one line and exit 2, and write nothing", { timeout: 60_000 }, async () => {
  const locked = new RedisServer(join(ROOT, "redis-auth"), await freePort(), ["--requirepass", "s3cret"]);
  await locked.start();
  try {
    const closed = await freePort();
    const out = join(ROOT, "q-bad-url");
    const cases: Array<[string[], RegExp]> = [
      [["bench", ...STUDY, "--methods", "alibi", "--out", out, "--queue", "http://127.0.0.1:6379"], /--queue must use the redis:\/\/ or rediss:\/\/ scheme/],
      [["bench", ...STUDY, "--methods", "alibi", "--out", out, "--queue", `redis://127.0.0.1:${closed}`], /cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused/],
      [["bench", ...STUDY, "--methods", "alibi", "--out", out, "--queue", locked.url], /refused the credentials/],
      [["bench", ...STUDY, "--methods", "alibi", "--out", out, "--queue", `redis://:wrong@127.0.0.1:${locked.port}`], /refused the credentials/],
      [["worker", "--queue", `redis://:wrong@127.0.0.1:${locked.port}`, "--artifacts", join(out, "art")], /refused the credentials/],
      [["worker", "--queue", `redis://127.0.0.1:${closed}`, "--artifacts", join(out, "art")], /connection refused/],
      [["worker", "--artifacts", join(out, "art")], /--queue is required/],
      // jobs belong to a local bench: a queued study runs one cell per worker
      [["bench", ...STUDY, "--methods", "alibi", "--out", out, "--queue", `redis://:s3cret@127.0.0.1:${locked.port}`, "--jobs", "2"], /--jobs runs trainings at once on this machine; a queued study \(--queue\) runs one cell per worker/],
    ];
    for (const [args, re] of cases) {
      const r = cli(args);
      assert.equal(await r.exit, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, re, args.join(" "));
      assert.equal(r.err.trim().split("\n").length, 1, r.err);
      assert.ok(!r.err.includes("wrong") && !r.err.includes("s3cret"), "no password in messages");
      assert.equal(r.out, "");
      assert.ok(!existsSync(out), "nothing written");
    }
    // the right password works (and stays out of queue.json)
    const w = cli(["worker", "--queue", `redis://:s3cret@127.0.0.1:${locked.port}`, "--artifacts", join(ROOT, "art-auth"), ...WORKER]);
    try {
      const b = cli(["bench", ...STUDY, "--methods", "alibi", "--out", join(ROOT, "q-auth"), "--queue", `redis://:s3cret@127.0.0.1:${locked.port}`]);
      assert.equal(await b.exit, 0, b.err);
      const dir = onlyFolder(join(ROOT, "q-auth"));
      assert.deepEqual(numbers(readState(dir), ["alibi-s0"]), numbers(reference, ["alibi-s0"]));
      assert.ok(!readFileSync(join(dir, "queue.json"), "utf8").includes("s3cret"));
      const plan = (JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { plan: { jobs: number; threads: number } }).plan;
      assert.deepEqual([plan.jobs, plan.threads], [1, 1], "a queued study: one cell per worker, the given --threads");
    } finally {
      await stopWorker(w);
    }
  } finally {
    await locked.stop();
  }
});
