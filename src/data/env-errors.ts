/**
 * Environment errors — the machine refused, the user's input was fine and our code is not at fault:
 * permissions, read-only file systems, a full disk, too many open files, memory limits. They become
 * one `ExtraposError` line naming the path and the cause, with a hint (the CLI exits 2); anything
 * else is left alone (a bug: "internal error", exit 1).
 *
 * Example:
 *   try { writeFileSync(p, x) } catch (e) { throw envError(e, p) ?? e }
 *   // EACCES → "cannot write /data/runs/a/config.json: permission denied (EACCES)"
 */
import { ExtraposError } from "../pe/errors.js";

const CAUSES: Record<string, [string, string]> = {
  EACCES: ["permission denied", "choose a folder you can write to (or fix its permissions)"],
  EPERM: ["operation not permitted", "choose a folder you can write to (or fix its permissions)"],
  EROFS: ["the file system is read-only", "choose a folder on a writable disk"],
  ENOSPC: ["no space left on the device", "free some disk space or choose another folder; completed checkpoints are intact"],
  EDQUOT: ["disk quota exceeded", "free some space or choose another folder; completed checkpoints are intact"],
  EMFILE: ["too many open files", "raise the limit (ulimit -n) or run fewer processes"],
  ENFILE: ["too many open files in the system", "run fewer processes"],
  ENOMEM: ["out of memory", "use a smaller model, batch or length"],
  ENOTDIR: ["a part of the path is a file, not a folder", "check the path"],
  EISDIR: ["it is a folder, not a file", "check the path"],
  ENAMETOOLONG: ["the path is too long", "use a shorter path"],
  ELOOP: ["too many symbolic links in the path", "check the path"],
  EIO: ["input/output error from the device", "check the disk"],
};

const VERBS: Record<string, string> = {
  open: "open", mkdir: "create", write: "write", rename: "write", link: "write", unlink: "remove", rmdir: "remove",
  scandir: "read", read: "read", stat: "read", lstat: "read", fsync: "write", copyfile: "write", ftruncate: "write",
};

/** An `ExtraposError("io")` for a Node system error caused by the environment, else null. */
export function envError(e: unknown, path?: string): ExtraposError | null {
  if (e instanceof ExtraposError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  if (err === null || typeof err !== "object") return null;
  if (typeof err.code === "string" && err.code in CAUSES) {
    const [cause, hint] = CAUSES[err.code]!;
    const verb = VERBS[err.syscall ?? ""] ?? "use";
    const where = err.path ?? path;
    return new ExtraposError(err.code === "ENOMEM" ? "out_of_memory" : "io", `cannot ${verb} ${where ?? "a file"}: ${cause} (${err.code})`, hint);
  }
  // Memory limits reached outside our estimates: WebAssembly memory growth, V8 array buffers.
  if (err instanceof RangeError && /Maximum memory size exceeded|WebAssembly\.Memory|Array buffer allocation failed|Out of memory/i.test(err.message)) {
    return new ExtraposError("out_of_memory", `out of memory: ${err.message}`, "use a smaller model, batch or length (WebAssembly memory is at most 4 GiB)");
  }
  return null;
}
