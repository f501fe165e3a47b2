/**
 * Safetensors files on disk (Node only): `readSafetensors` / `writeSafetensors` over the byte codec
 * of safetensors-codec.ts (format, checks and errors are described there). Writes are atomic (temp
 * file in the same directory, fsync, rename), so a crash leaves either the old file or the new one,
 * never half of one.
 *
 * Example:
 *   writeSafetensors("m.safetensors", new Map([["w", { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]]), { step: "3" });
 *   readSafetensors("m.safetensors").tensors.get("w")!.data // Float32Array [1, 2]
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { decodeSafetensors, encodeSafetensors, type SafetensorsContent, type Tensor } from "./safetensors-codec.js";

export * from "./safetensors-codec.js";

/**
 * Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename over `path`,
 * then fsync of the directory (best effort). On any error the temp file is removed and `path` untouched.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ExtraposError("io", `cannot write ${path}: ${(e as Error).message}`);
  }
  try {
    const dfd = openSync(dirname(path), "r");
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch {
    // directory fsync is not supported everywhere (e.g. Windows); the rename itself is atomic
  }
}

/** Encodes and writes a safetensors file atomically (see `encodeSafetensors`, `writeFileAtomic`). */
export function writeSafetensors(path: string, tensors: ReadonlyMap<string, Tensor>, metadata: Readonly<Record<string, string>> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads and fully validates a safetensors file (see the header for every check). */
export function readSafetensors(path: string): SafetensorsContent {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ExtraposError("io", `cannot read ${path}: ${(e as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}

