/** The folder lock and stale temp files (src/data/folder-lock.ts), with real files and real processes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../pe/errors.js";
import { LOCK_FILE, lockFolder, pidAlive, processStart, removeStaleTemps } from "./folder-lock.js";

const here = dirname(fileURLToPath(import.meta.url));

function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

function withDir(f: (dir: string) => void): () => void {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "extrapos-lock-"));
    try {
      f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const locked = (re: RegExp) => (e: unknown) => e instanceof ExtraposError && e.code === "locked" && re.test(e.message);

test("a folder is held by one owner at a time; release frees it; the record names pid, host and command", withDir((dir) => {
  const run = join(dir, "run");
  const a = lockFolder(run, "train");
  const owner = JSON.parse(readFileSync(join(run, LOCK_FILE), "utf8"));
  assert.equal(owner.pid, process.pid);
  assert.equal(owner.host, hostname());
  assert.equal(owner.what, "train");
  assert.equal(owner.start, processStart(process.pid));
  assert.throws(() => lockFolder(run, "bench"), locked(new RegExp(`is in use by \`train\` \\(pid ${process.pid}, since `)));
  a.release();
  assert.equal(existsSync(join(run, LOCK_FILE)), false);
  a.release(); // idempotent
  lockFolder(run, "bench").release();
}));

test("stale locks: a dead owner or a reused pid is taken over; another host's lock is refused", withDir((dir) => {
  const dead = deadPid();
  assert.equal(pidAlive(dead), false);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), start: 1, what: "train", since: "2020-01-01" }));
  const a = lockFolder(dir, "train");
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.pid);
  a.release();
  // pid 1 is alive, but it did not start at time 1: a reused pid, not the owner.
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: hostname(), start: -5, what: "train", since: "2020-01-01" }));
  lockFolder(dir, "train").release();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: "elsewhere", start: null, what: "train", since: "2020-01-01" }));
  assert.throws(() => lockFolder(dir, "train"), locked(/in use by `train` \(pid \d+ on host elsewhere.*\)/));
  assert.throws(() => lockFolder(dir, "train"), (e: unknown) => e instanceof ExtraposError && /delete .*\.extrapos\.lock/.test(e.hint ?? ""));
}));

test("process.exit releases the lock (a second Ctrl-C); kill -9 leaves a stale one that the next owner takes", withDir((dir) => {
  const mod = join(here, "folder-lock.js");
  const script = `import(${JSON.stringify(mod)}).then((m) => { m.lockFolder(${JSON.stringify(dir)}, "x"); process.exit(3); })`;
  const r = spawnSync(process.execPath, ["-e", script]);
  assert.equal(r.status, 3);
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  const k = spawnSync(process.execPath, ["-e", script.replace("process.exit(3)", "process.kill(process.pid, 'SIGKILL')")]);
  assert.equal(k.signal, "SIGKILL");
  assert.ok(existsSync(join(dir, LOCK_FILE)));
  lockFolder(dir, "y").release();
}));

test("stray temp files of dead writers are removed; live writers' and other files are kept", withDir((dir) => {
  const dead = deadPid();
  const names = [`model.safetensors.${dead}.77.tmp`, `config.json.${dead}.5.tmp`, `model.safetensors.${process.pid}.1.tmp`, "notes.tmp", "model.safetensors"];
  for (const n of names) writeFileSync(join(dir, n), "x");
  assert.deepEqual(removeStaleTemps(dir).sort(), names.slice(0, 2).sort());
  assert.deepEqual(readdirSync(dir).sort(), names.slice(2).sort());
  assert.deepEqual(removeStaleTemps(join(dir, "missing")), []);
}));
