/**
 * One process at a time per folder: `lockFolder(dir, what)` creates `dir/.extrapos.lock` holding the
 * owner's pid, host, process start time and command (written to a temp file first and hard-linked
 * into place, so the lock file is never seen half-written and two processes can never both create
 * it). A second process gets one clear line naming the owner. A lock whose owner is gone (same host,
 * pid not alive or alive but started at another time: a reused pid) is stale: it is taken over, and
 * stray temp files of dead writers (`*.<pid>.<n>.tmp`, see atomic-write.ts) are removed. A lock of
 * another host is never taken over (its pid means nothing here): the message says how to remove it.
 *
 * Example:
 *   const lock = lockFolder("runs/a", "train");   // throws ExtraposError("locked") when in use
 *   try { ... } finally { lock.release(); }
 */
import { closeSync, linkSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ExtraposError, show } from "../pe/errors.js";
import { makeDirs } from "./atomic-write.js";
import { envError } from "./env-errors.js";

export const LOCK_FILE = ".extrapos.lock";

export interface LockOwner {
  pid: number;
  host: string;
  /** Process start time (clock ticks since boot, /proc/<pid>/stat field 22), or null where unknown. */
  start: number | null;
  what: string;
  since: string;
}

export interface FolderLock {
  readonly path: string;
  release(): void;
}

/** Start time of process `pid` (Linux /proc), or null. */
export function processStart(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = s.slice(s.lastIndexOf(")") + 2).split(" ");
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** True when a process with this pid exists on this machine (EPERM: exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ownerAlive(o: LockOwner): boolean {
  if (!pidAlive(o.pid)) return false;
  const start = processStart(o.pid);
  return o.start === null || start === null || start === o.start;
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
    return typeof o === "object" && o !== null && typeof o.pid === "number" && typeof o.host === "string" ? o : null;
  } catch {
    return null;
  }
}

const TMP = /^.+\.(\d+)\.(\d+)\.tmp$/;

/** Removes temp files (`name.<pid>.<n>.tmp`) of writers that are no longer alive; returns their names. */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = TMP.exec(n);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    rmSync(join(dir, n), { force: true });
    removed.push(n);
  }
  return removed;
}

function writeLockCandidate(path: string, owner: LockOwner): string {
  const tmp = `${path}.${process.pid}.${Math.floor(Math.random() * 1e9)}.tmp`;
  const fd = openSync(tmp, "wx");
  try {
    writeSync(fd, JSON.stringify(owner) + "\n");
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/**
 * Throws the "in use" error when a live process holds `dir` (a read-only check, so that a command
 * names the owner before any other refusal; `lockFolder` is what actually takes the folder).
 */
export function refuseBusyFolder(dir: string): void {
  const owner = readOwner(join(dir, LOCK_FILE));
  if (owner === null) return;
  if (owner.host !== hostname() || ownerAlive(owner)) throw busy(dir, owner, owner.host !== hostname());
}

function busy(dir: string, owner: LockOwner, otherHost: boolean): ExtraposError {
  return otherHost
    ? new ExtraposError("locked", `${show(dir)} is in use by \`${owner.what}\` (pid ${owner.pid} on host ${owner.host}, since ${owner.since})`, `wait for it to finish; if that process is gone, delete ${join(dir, LOCK_FILE)}`)
    : new ExtraposError("locked", `${show(dir)} is in use by \`${owner.what}\` (pid ${owner.pid}, since ${owner.since}); one process at a time per folder`, `wait for it to finish or stop it (kill ${owner.pid}); interrupted runs continue with --resume`);
}

/**
 * Takes the folder `dir` (created when missing) for this process; see the file header. `what` names the
 * command in the owner record and in the message another process gets ("train", "bench").
 */
export function lockFolder(dir: string, what: string): FolderLock {
  try {
    makeDirs(dir);
  } catch (e) {
    throw envError(e, dir) ?? e;
  }
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), start: processStart(process.pid), what, since: new Date().toISOString() };
  let tmp: string;
  try {
    tmp = writeLockCandidate(path, me);
  } catch (e) {
    throw envError(e, dir) ?? e;
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path); // atomic: fails with EEXIST when the lock exists
        removeStaleTemps(dir);
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          process.off("exit", release);
          const o = readOwner(path);
          if (o && o.pid === me.pid && o.host === me.host) rmSync(path, { force: true });
        };
        process.on("exit", release); // process.exit (a second Ctrl-C) releases too; kill -9 leaves a stale lock
        return { path, release };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw envError(e, dir) ?? e;
      }
      const owner = readOwner(path);
      if (owner === null) {
        // Unreadable: written by no version of this code (the lock is linked whole); refuse rather than guess.
        if (Date.now() - statSafe(path) < 2000) continue;
        throw new ExtraposError("locked", `${show(dir)} is locked by an unreadable ${LOCK_FILE}`, `if no extrapos process uses ${dir}, delete ${join(dir, LOCK_FILE)}`);
      }
      if (owner.host !== me.host || ownerAlive(owner)) throw busy(dir, owner, owner.host !== me.host);
      // Stale: the owner died without releasing. Remove it only if it is still the same stale record.
      const again = readOwner(path);
      if (again && again.pid === owner.pid && again.since === owner.since) rmSync(path, { force: true });
    }
    throw new ExtraposError("locked", `${show(dir)}: could not take ${LOCK_FILE} (other processes keep taking it)`, "one process at a time per folder");
  } finally {
    rmSync(tmp, { force: true });
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
