import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../../pe/errors.js";
import { SerialEngine, type Engine } from "../engine.js";
import { createEngine, ThreadedEngine } from "./pool.js";
import { splitRange } from "./split.js";
import { RESIDUAL_FORWARD } from "../kernels/names.js";

test("splitRange: contiguous cover of [0, n), grain multiples, thread 0 first, deterministic", () => {
  for (const n of [0, 1, 3, 17, 129, 1000]) {
    for (const parts of [1, 2, 3, 7]) {
      for (const grain of [1, 4, 16, 1000]) {
        const r = splitRange(n, parts, grain);
        assert.equal(r.length, parts);
        assert.deepEqual(r, splitRange(n, parts, grain), "same inputs, same split");
        let covered = 0;
        for (const { start, end } of r) {
          if (start === end) continue;
          assert.equal(start, covered, `n=${n} parts=${parts} grain=${grain}: ranges must be contiguous`);
          assert.equal(start % grain, 0, `range start ${start} not a multiple of grain ${grain}`);
          assert.ok(end === n || end % grain === 0, `range end ${end} not a multiple of grain ${grain}`);
          covered = end;
        }
        assert.equal(covered, n, `n=${n} parts=${parts} grain=${grain}: must cover [0, n)`);
        if (n > 0) assert.ok(r[0]!.end > r[0]!.start, "thread 0 always has work");
        const sizes = r.map((x) => Math.ceil((x.end - x.start) / grain));
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `chunks per thread differ by at most one: ${sizes}`);
      }
    }
  }
});

/** residualForward (out = a + b, the simplest kernel) through parallelFor vs its float64 reference, on odd sizes. */
function checkVecadd(engine: Engine, n: number, grain: number): void {
  const m = engine.mark();
  const a = engine.alloc(4 * n), b = engine.alloc(4 * n), out = engine.alloc(4 * n);
  const av = engine.f32(a, n), bv = engine.f32(b, n);
  for (let i = 0; i < n; i++) { av[i] = Math.sin(i + 0.5); bv[i] = Math.cos(3 * i); }
  engine.f32(out, n).fill(Number.NaN);
  engine.parallelFor(RESIDUAL_FORWARD, n, [out, a, b], grain);
  const ov = engine.f32(out, n);
  for (let i = 0; i < n; i++) assert.equal(ov[i], Math.fround(av[i]! + bv[i]!), `n=${n} grain=${grain} i=${i}`);
  engine.reset(m);
}

test("threaded parallelFor computes every element once, for 2 and 3 threads, odd sizes and grains", async () => {
  for (const threads of [2, 3]) {
    const engine = await createEngine({ threads });
    try {
      assert.ok(engine instanceof ThreadedEngine);
      assert.equal(engine.threads, threads);
      for (const n of [1, 3, 17, 129, 4099]) for (const grain of [1, 4, 64]) checkVecadd(engine, n, grain);
    } finally {
      await engine.dispose();
    }
  }
});

test("setWorkerSpin: with the threads spinning between calls (and back to the default), every element is still computed once; bad values refused", async () => {
  const engine = await createEngine({ threads: 3 });
  try {
    for (const us of [200, 5, 0]) {
      engine.setWorkerSpin!(us);
      for (let rep = 0; rep < 50; rep++) for (const n of [3, 129, 4099]) checkVecadd(engine, n, 4);
    }
    assert.throws(() => engine.setWorkerSpin!(-1), /setWorkerSpin: `microseconds` must be an integer in \[0, 1e6\], got -1/);
    assert.throws(() => engine.setWorkerSpin!(1.5), /got 1.5/);
  } finally {
    await engine.dispose();
  }
});

test("workers see memory grown after they started", async () => {
  const engine = await createEngine({ threads: 2 });
  try {
    const before = engine.memory.buffer.byteLength;
    engine.alloc(64 << 20); // forces growth
    assert.ok(engine.memory.buffer.byteLength > before);
    checkVecadd(engine, 100_003, 1); // the buffers lie beyond the original size; the worker writes half
  } finally {
    await engine.dispose();
  }
});

test("threads: 1 is the serial engine (no workers); unknown or bad options are refused", async () => {
  const e = await createEngine({ threads: 1 });
  assert.ok(e instanceof SerialEngine && !(e instanceof ThreadedEngine));
  assert.equal(e.threads, 1);
  checkVecadd(e, 17, 1);
  await assert.rejects(createEngine({ threads: 0 }), /`threads` must be "auto" or an integer in \[1, 256\], got 0/);
  await assert.rejects(createEngine({ thread: 2 } as never), /unknown engine option "thread"/);
});

test("a trap in a worker's share becomes thread_crash naming the kernel and args; the pool stays usable", async () => {
  const engine = await createEngine({ threads: 2 });
  try {
    const n = 1024;
    const half = engine.memory.buffer.byteLength - 4 * (n / 2); // out[i] is in bounds only for i < n/2
    const a = engine.alloc(4 * n);
    assert.throws(
      () => engine.parallelFor(RESIDUAL_FORWARD, n, [half, a, a], 1, "residual test [1024]"),
      (e: unknown) => {
        assert.ok(e instanceof ExtraposError && e.code === "thread_crash", String(e));
        assert.match(e.message, /residual test \[1024\] \(kernel residualForward\)/);
        assert.match(e.message, new RegExp(`args \\[${half}, ${a}, ${a}\\]`));
        assert.match(e.message, /thread 1, range \[512, 1024\) of 1024: RuntimeError: memory access out of bounds/);
        assert.doesNotMatch(e.message, /thread 0/, "the main thread's half was in bounds");
        return true;
      },
    );
    checkVecadd(engine, 129, 1);
    // a trap on every thread, the main one included
    const beyond = engine.memory.buffer.byteLength + 4096; // out of bounds for every i (no 32-bit wrap)
    assert.throws(() => engine.parallelFor(RESIDUAL_FORWARD, n, [beyond, a, a]), /thread 0, range \[0, 512\).*thread 1, range \[512, 1024\)/);
    checkVecadd(engine, 17, 1);
  } finally {
    await engine.dispose();
  }
});

test("the serial engine reports a trap the same way", () => {
  const e = new SerialEngine();
  assert.throws(() => e.parallelFor(RESIDUAL_FORWARD, 8, [2 ** 32 - 16, 0, 0]), (err: unknown) =>
    err instanceof ExtraposError && err.code === "thread_crash" && /kernel residualForward with args \[4294967280, 0, 0\] failed on thread 0, range \[0, 8\)/.test(err.message));
});

test("a worker that died becomes thread_crash, not a hang (known exit and silent death)", async () => {
  const known = (await createEngine({ threads: 2, startTimeoutMs: 300 })) as ThreadedEngine;
  try {
    await known.killWorkerForTesting(1); // the exit event reaches the pool
    assert.throws(() => checkVecadd(known, 1000, 1), /worker 1 exited with code 1; create a new engine/);
  } finally {
    await known.dispose();
  }
  const silent = (await createEngine({ threads: 2, startTimeoutMs: 300 })) as ThreadedEngine;
  try {
    void silent.killWorkerForTesting(1); // the main thread blocks below, so no exit event arrives
    const until = Date.now() + 500;
    while (Date.now() < until) { /* let the termination take effect */ }
    const t0 = Date.now();
    assert.throws(() => checkVecadd(silent, 1000, 1), /worker 1 did not pick up the work within 300 ms/);
    assert.ok(Date.now() - t0 < 5000, "gave up after the start timeout");
    assert.throws(() => checkVecadd(silent, 1000, 1), /create a new engine/, "stays refused");
  } finally {
    await silent.dispose();
  }
});

test("a process that forgets dispose() still exits; dispose() makes later calls fail cleanly", async () => {
  const pool = fileURLToPath(new URL("./pool.js", import.meta.url));
  const script = `const { createEngine } = await import(${JSON.stringify(pool)}); const e = await createEngine({ threads: 2 }); e.parallelFor("residualForward", 64, [e.alloc(256), e.alloc(256), e.alloc(256)]); console.log("ok");`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000, encoding: "utf8" });
  assert.equal(r.error, undefined, "child exited before the timeout");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "ok");
  const engine = await createEngine({ threads: 2 });
  await engine.dispose();
  assert.throws(() => checkVecadd(engine, 1000, 1), /called on a disposed engine/);
});
