import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32c, maskedCrc32c } from "./crc32c.js";
import { encodeEvent, frameRecord, TensorBoardWriter } from "./tfevents.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test("CRC-32C matches published test vectors", () => {
  // "123456789" → 0xE3069283: the standard check value of CRC-32C (Castagnoli).
  assert.equal(crc32c(ascii("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  // RFC 3720 (iSCSI) appendix B.4: 32 bytes of 0x00, of 0xFF, and the bytes 0…31.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  // Masked value from python: masked(b"123456789") in scripts/tfevents_reference.py → 0xc78ab0e5.
  assert.equal(maskedCrc32c(ascii("123456789")), 0xc78ab0e5);
});

test("event records equal the bytes Google's protobuf runtime + python framing produce", () => {
  // From `/usr/bin/python3 scripts/tfevents_reference.py golden` (python3-protobuf 3.21.12 serialises the
  // Event messages; the framing uses a bit-by-bit CRC-32C in python). Same events as below.
  const golden =
    "1800000000000000a37f4b220900001040fc54d9411a0d627261696e2e4576656e743a32338d2fe9" +
    "1e00000000000000d9dc12320900006040fc54d9412a130a110a0a747261696e2f6c6f7373150000b040aaaf7fe4" +
    "3e00000000000000d9d240e7090000b040fc54d94110ac022a300a110a0a747261696e2f6c6f737315000014400a090a026c72156f12833a0a100a0976616c69642f70706c150000807f0e9ab413";
  const ours = [
    encodeEvent({ wallTime: 1700000000.25, fileVersion: "brain.Event:2" }),
    encodeEvent({ wallTime: 1700000001.5, step: 0, scalars: [["train/loss", 5.5]] }),
    encodeEvent({ wallTime: 1700000002.75, step: 300, scalars: [["train/loss", 2.3125], ["lr", 0.001], ["valid/ppl", Infinity]] }),
  ].map(frameRecord);
  assert.equal(Buffer.concat(ours).toString("hex"), golden);
});

/** A minimal reader (for the tests): framing + CRC checks, then the fields we write. */
function readEvents(buf: Uint8Array): { wallTime: number; step: number; fileVersion?: string; scalars: [string, number][] }[] {
  const out = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < buf.length) {
    const n = Number(view.getBigUint64(off, true));
    assert.equal(view.getUint32(off + 8, true), maskedCrc32c(buf.subarray(off, off + 8)), "length CRC");
    const data = buf.subarray(off + 12, off + 12 + n);
    assert.equal(view.getUint32(off + 12 + n, true), maskedCrc32c(data), "data CRC");
    out.push(parseEvent(data));
    off += 16 + n;
  }
  return out;
}

function parseEvent(d: Uint8Array): { wallTime: number; step: number; fileVersion?: string; scalars: [string, number][] } {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const ev: { wallTime: number; step: number; fileVersion?: string; scalars: [string, number][] } = { wallTime: 0, step: 0, scalars: [] };
  let i = 0;
  const varint = (): number => { let x = 0, m = 1; for (;;) { const b = d[i++]!; x += (b & 0x7f) * m; m *= 128; if (b < 128) return x; } };
  while (i < d.length) {
    const key = varint();
    if (key === 0x09) { ev.wallTime = v.getFloat64(i, true); i += 8; }
    else if (key === 0x10) ev.step = varint();
    else if (key === 0x1a) { const n = varint(); ev.fileVersion = new TextDecoder().decode(d.subarray(i, i + n)); i += n; }
    else if (key === 0x2a) {
      const end = varint() + i;
      while (i < end) {
        assert.equal(varint(), 0x0a);
        const vend = varint() + i;
        let tag = "", val = NaN;
        while (i < vend) {
          const k = varint();
          if (k === 0x0a) { const n = varint(); tag = new TextDecoder().decode(d.subarray(i, i + n)); i += n; }
          else if (k === 0x15) { val = v.getFloat32(i, true); i += 4; }
          else assert.fail(`unexpected Value key ${k}`);
        }
        ev.scalars.push([tag, val]);
      }
    } else assert.fail(`unexpected Event key ${key}`);
  }
  return ev;
}

test("writer: file name, version record first, scalars round-trip as float32, unique names", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-tb-"));
  try {
    let t = 1700000000.5;
    const tb = new TensorBoardWriter(dir, { now: () => t, hostname: "box" });
    assert.equal(tb.path, join(dir, "events.out.tfevents.1700000000.box"));
    t += 1;
    tb.scalars(0, { "train/loss": 5.5 });
    tb.scalars(2 ** 40 + 3, { "train/loss": 0.1, lr: 3e-4, "valid/ppl": NaN });
    tb.close();
    const events = readEvents(readFileSync(tb.path));
    assert.equal(events.length, 3);
    assert.deepEqual(events[0], { wallTime: 1700000000.5, step: 0, fileVersion: "brain.Event:2", scalars: [] });
    assert.deepEqual(events[1], { wallTime: 1700000001.5, step: 0, scalars: [["train/loss", 5.5]] });
    assert.equal(events[2]!.step, 2 ** 40 + 3);
    assert.deepEqual(events[2]!.scalars.map(([k]) => k), ["train/loss", "lr", "valid/ppl"]);
    assert.equal(events[2]!.scalars[0]![1], Math.fround(0.1));
    assert.equal(events[2]!.scalars[1]![1], Math.fround(3e-4));
    assert.ok(Number.isNaN(events[2]!.scalars[2]![1]));
    const second = new TensorBoardWriter(dir, { now: () => 1700000000.9, hostname: "box" }); // same second
    second.close();
    assert.equal(second.path, join(dir, `events.out.tfevents.1700000000.box.${process.pid}.1`));
    assert.equal(readdirSync(dir).filter((f) => f.includes("tfevents")).length, 2);
    assert.throws(() => tb.scalars(1, { x: 1 }), /closed/);
    const third = new TensorBoardWriter(dir, { now: () => 1, hostname: "h" });
    assert.throws(() => third.scalars(-1, { x: 1 }), /`step` must be an integer ≥ 0, got -1/);
    assert.throws(() => third.scalars(1, { "": 1 }), /tag/);
    third.close();
    assert.ok(third.path.endsWith("events.out.tfevents.0000000001.h"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a record torn by a kill is detectable: its CRC fails", () => {
  const rec = frameRecord(encodeEvent({ wallTime: 1, step: 5, scalars: [["a", 1]] }));
  const dir = mkdtempSync(join(tmpdir(), "extrapos-tb-"));
  try {
    const p = join(dir, "x");
    writeFileSync(p, rec.subarray(0, rec.length - 3));
    const torn = readFileSync(p);
    const n = Number(new DataView(torn.buffer, torn.byteOffset).getBigUint64(0, true));
    assert.ok(torn.length < 16 + n, "a reader sees the record is incomplete");
    const flipped = Uint8Array.from(rec);
    flipped[14] = flipped[14]! ^ 1;
    assert.throws(() => readEvents(flipped), /data CRC/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
