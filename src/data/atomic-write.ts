/**
 * Atomic file writes: the data goes to a temporary file in the same folder, is flushed to disk, and
 * is then renamed over the target, so a reader sees either the old file or the whole new one, never
 * half of it (a crash or kill -9 leaves at most a stray `*.tmp` file, which is never read).
 *
 * Example: `writeFileAtomic("out/config.json", JSON.stringify(cfg))`
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ExtraposError } from "../pe/errors.js";

/**
 * `mkdir -p` that always terminates: Node's `mkdirSync(p, { recursive: true })` spins forever on some
 * pseudo file systems (measured: "/proc/foo/x" on Linux, Node 20). Each missing parent is created
 * once; any other error is thrown as is (the caller names the environment error).
 */
export function makeDirs(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!statSync(dir).isDirectory()) throw e;
      return;
    }
    if (code !== "ENOENT" || dirname(dir) === dir) throw e;
    makeDirs(dirname(dir));
    try {
      mkdirSync(dir);
    } catch (e2) {
      const c2 = (e2 as NodeJS.ErrnoException).code;
      if (c2 === "ENOENT") throw new ExtraposError("io", `cannot create ${dir}: its parent folder refuses new entries (ENOENT)`, "choose a folder on a regular, writable disk");
      if (c2 !== "EEXIST") throw e2;
    }
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  makeDirs(dirname(path));
  const tmp = `${path}.${process.pid}.${Math.floor(Math.random() * 1e9)}.tmp`;
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx");
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
