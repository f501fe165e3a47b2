/**
 * TensorBoard event files written by our own small encoder (no dependency), scalars only.
 *
 * File: `<logdir>/events.out.tfevents.<unix seconds, 10 digits>.<hostname>` (TensorFlow's
 * EventFileWriter name; TensorBoard loads every file whose name contains "tfevents"). Should that
 * name exist already (two writers in the same second), `.<pid>.<n>` is appended.
 *
 * Framing (TFRecord), per record: uint64 LE length · uint32 LE masked CRC-32C of those 8 bytes ·
 * data · uint32 LE masked CRC-32C of the data.
 *
 * Data: an `Event` protobuf (tensorflow/core/util/event.proto):
 *   double wall_time = 1;  int64 step = 2;  string file_version = 3;  Summary summary = 5;
 *   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
 * The first record is {wall_time, file_version: "brain.Event:2"} — TensorBoard needs version 2 to
 * drop stale points when a resumed run logs a step again. Every later record is one Event at one
 * step holding one or more scalars. Each record is written with one `write` on an append-only file
 * descriptor (no user-space buffer), so a killed run loses at most the record being written, and
 * TensorBoard skips a truncated tail record.
 *
 * Values are stored as float32 (the proto's type); NaN and ±Infinity are written as they are.
 *
 * Example:
 *   const tb = new TensorBoardWriter("runs/a");
 *   tb.scalars(10, { "train/loss": 2.31, lr: 1e-3 });
 *   tb.close();   // then: tensorboard --logdir runs
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { invalid, show } from "../../pe/errors.js";
import { maskedCrc32c } from "./crc32c.js";

/** Protobuf wire types. */
const VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

class ProtoWriter {
  private bytes: number[] = [];
  tag(field: number, wire: number): this { return this.varint(field * 8 + wire); }
  varint(v: number): this {
    // Non-negative integers up to 2^53; 7 bits per byte, least significant group first.
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
    return this;
  }
  double(field: number, v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.tag(field, FIXED64).bytes.push(...b);
    return this;
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, FIXED32).bytes.push(...b);
    return this;
  }
  int64(field: number, v: number): this { return this.tag(field, VARINT).varint(v); }
  lenDelimited(field: number, b: Uint8Array): this {
    this.tag(field, LEN).varint(b.length).bytes.push(...b);
    return this;
  }
  string(field: number, s: string): this { return this.lenDelimited(field, new TextEncoder().encode(s)); }
  finish(): Uint8Array { return Uint8Array.from(this.bytes); }
}

/** An `Event` protobuf with either a file version or a summary of scalars. */
export function encodeEvent(e: { wallTime: number; step?: number; fileVersion?: string; scalars?: readonly [string, number][] }): Uint8Array {
  const w = new ProtoWriter().double(1, e.wallTime);
  if (e.step !== undefined && e.step !== 0) w.int64(2, e.step); // proto3: 0 is the default, not written
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  if (e.scalars !== undefined) {
    const summary = new ProtoWriter();
    for (const [tag, value] of e.scalars) summary.lenDelimited(1, new ProtoWriter().string(1, tag).float(2, value).finish());
    w.lenDelimited(5, summary.finish());
  }
  return w.finish();
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

export interface TensorBoardWriterOptions {
  /** Clock in seconds (default: Date.now()/1000); injectable for tests. */
  now?: () => number;
  /** Host name in the file name (default: os.hostname()). */
  hostname?: string;
}

export class TensorBoardWriter {
  /** Full path of the event file. */
  readonly path: string;
  private fd: number | undefined;
  private readonly now: () => number;

  constructor(logDir: string, options: TensorBoardWriterOptions = {}) {
    this.now = options.now ?? (() => Date.now() / 1000);
    mkdirSync(logDir, { recursive: true });
    const t = this.now();
    const host = (options.hostname ?? osHostname()).replace(/[/\\]/g, "_") || "localhost";
    const base = `events.out.tfevents.${String(Math.floor(t)).padStart(10, "0")}.${host}`;
    let path = join(logDir, base);
    for (let n = 0; ; n++) {
      try {
        this.fd = openSync(path, "wx");
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST" || n > 1000) throw e;
        path = join(logDir, `${base}.${process.pid}.${n + 1}`);
      }
    }
    this.path = path;
    this.write(encodeEvent({ wallTime: t, fileVersion: "brain.Event:2" }));
  }

  private write(event: Uint8Array): void {
    if (this.fd === undefined) throw invalid(`TensorBoard event file ${show(this.path)} is closed`);
    const rec = frameRecord(event);
    let off = 0;
    while (off < rec.length) off += writeSync(this.fd, rec, off, rec.length - off);
  }

  /** One event at `step` holding every scalar of `values` (tags like "train/loss"). */
  scalars(step: number, values: Record<string, number>, wallTime: number = this.now()): void {
    if (!(Number.isSafeInteger(step) && step >= 0)) throw invalid(`TensorBoard \`step\` must be an integer ≥ 0, got ${show(step)}`);
    const entries = Object.entries(values);
    for (const [tag, v] of entries) {
      if (tag === "") throw invalid("TensorBoard tag must be a non-empty string");
      if (typeof v !== "number") throw invalid(`TensorBoard value for ${show(tag)} must be a number, got ${show(v)}`);
    }
    if (entries.length > 0) this.write(encodeEvent({ wallTime, step, scalars: entries }));
  }

  /** Forces the data to disk (records are already in the file after each write). */
  flush(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}
