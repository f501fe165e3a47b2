/** Issue 12: one bench per folder — `bench --resume DIR` while another process holds DIR is refused naming it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../pe/errors.js";
import { LOCK_FILE } from "../data/folder-lock.js";
import { FakeRunner } from "../report/runner-fake.js";
import { runBench, type BenchDeps } from "./bench.js";

function deps(): BenchDeps {
  return { runnerFor: () => new FakeRunner(), stdout: { write: () => true }, stderr: { write: () => true }, now: () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5)), handleSignals: false };
}

test("bench: a folder in use by another process is refused naming its pid; the lock is released after a bench", async () => {
  const out = mkdtempSync(join(tmpdir(), "extrapos-bench-lock-"));
  try {
    assert.equal(await runBench(["--methods", "alibi", "--train-len", "8", "--eval-lens", "8,16", "--steps", "2", "--threads", "1", "--out", out], deps()), 0);
    const dir = join(out, "2025-01-02T03-04-05");
    assert.equal(existsSync(join(dir, LOCK_FILE)), false, "released");
    const lockMod = fileURLToPath(new URL("../data/folder-lock.js", import.meta.url));
    const holder = spawn(process.execPath, ["-e", `import(${JSON.stringify(lockMod)}).then((m) => { m.lockFolder(${JSON.stringify(dir)}, "bench"); console.log("locked"); setInterval(() => {}, 1000); })`], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      await new Promise<void>((r) => holder.stdout!.once("data", () => r()));
      await assert.rejects(runBench(["--resume", dir], deps()), (e: unknown) => e instanceof ExtraposError && e.code === "locked" && new RegExp(`in use by \`bench\` \\(pid ${holder.pid},`).test(e.message));
    } finally {
      holder.kill("SIGKILL");
      await new Promise((r) => holder.on("exit", r));
    }
    assert.equal(await runBench(["--resume", dir], deps()), 0, "the dead holder's lock is taken over");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
