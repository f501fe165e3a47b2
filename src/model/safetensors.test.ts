import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExtraposError } from "../pe/errors.js";
import { MAX_HEADER_BYTES, decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type Tensor } from "./safetensors.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/torch/${name}.safetensors`, import.meta.url));

function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ["a", { dtype: "F32", shape: [3, 17], data: Float32Array.from({ length: 51 }, (_, i) => Math.sin(i) * 1e3) }],
    ["ids", { dtype: "I32", shape: [1, 3], data: Int32Array.from([-5, 0, 2147483647]) }],
    ["empty", { dtype: "F32", shape: [0, 4], data: new Float32Array(0) }],
    ["scalar", { dtype: "F32", shape: [], data: Float32Array.from([Math.PI]) }],
  ]);
}

/** A raw file from a header object (serialised as given, unpadded) and a data block. */
function rawFile(header: unknown, data: Uint8Array, headerLength?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function refused(bytes: Uint8Array, message: RegExp): void {
  assert.throws(() => decodeSafetensors(bytes, "x.safetensors"), (e: unknown) => {
    assert.ok(e instanceof ExtraposError, String(e));
    assert.equal(e.code, "corrupt_file");
    assert.match(e.message, /^x\.safetensors: /);
    assert.match(e.message, message);
    return true;
  });
}

test("round trip: F32 and I32 tensors, empty and scalar shapes, metadata; header padded to 8 bytes", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-st-"));
  try {
    const path = join(dir, "m.safetensors");
    writeSafetensors(path, sample(), { step: "3", config: '{"d_model":32}' });
    const bytes = readFileSync(path);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    assert.equal(n % 8, 0, "header length is a multiple of 8");
    const back = readSafetensors(path);
    assert.deepEqual(back.metadata, { step: "3", config: '{"d_model":32}' });
    assert.deepEqual([...back.tensors.keys()], ["a", "ids", "empty", "scalar"]);
    for (const [name, t] of sample()) {
      const u = back.tensors.get(name)!;
      assert.equal(u.dtype, t.dtype);
      assert.deepEqual(u.shape, t.shape);
      assert.deepEqual(Array.from(u.data), Array.from(t.data), name);
    }
    assert.deepEqual(readdirSync(dir), ["m.safetensors"], "no temp file left behind");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("reads the PyTorch-written debug state (torch_debug_state.py)", () => {
  const { tensors, metadata } = readSafetensors(fixture("rope"));
  assert.equal(tensors.size, 85); // 27 parameters × 3 (param, grad, param_after) + input_ids, targets, logits, losses
  const ids = tensors.get("input_ids")!;
  assert.equal(ids.dtype, "I32");
  assert.deepEqual(ids.shape, [2, 16]);
  assert.ok(Array.from(ids.data).every((x) => x >= 0 && x < 256));
  assert.deepEqual(tensors.get("param.blocks.1.attn.qkv.weight")!.shape, [96, 32]);
  // the script fills LayerNorm weights with 1.0: a check that offsets point at the right bytes
  assert.ok(Array.from(tensors.get("param.blocks.1.ln2.weight")!.data).every((x) => x === 1));
  // losses[0] is the initial loss, stored as float32; metadata.loss is its float64 repr
  assert.equal(tensors.get("losses")!.data[0], Math.fround(Number(metadata.loss)));
  assert.ok(metadata.config !== undefined, "metadata has a config");
  assert.equal(JSON.parse(metadata.config).pe, "rope");
});

test("refuses truncated and malformed files, each with a specific message", () => {
  const good = encodeSafetensors(sample(), { k: "v" });
  refused(good.subarray(0, 5), /file is 5 bytes, shorter than the 8-byte header length/);
  refused(good.subarray(0, good.length - 4), /tensor `scalar` ends at byte \d+, past the end of the data/);
  refused(rawFile({}, new Uint8Array(0), 1000n), /header length 1000 runs past the end of the file \(10 bytes\)/);
  refused(rawFile({}, new Uint8Array(0), BigInt(MAX_HEADER_BYTES) + 1n), /header length 100000001 exceeds the limit of 100000000 bytes/);
  refused(rawFile("{\"a\": {", new Uint8Array(0)), /header is not valid JSON/);
  refused(rawFile("[1,2]", new Uint8Array(0)), /header JSON is not an object/);
  refused(rawFile(Buffer.from([0x7b, 0xff, 0x7d]).toString("latin1"), new Uint8Array(0)), /header is not valid JSON/);
  const data = new Uint8Array(16);
  refused(rawFile({ w: { dtype: "F16", shape: [8], data_offsets: [0, 16] } }, data), /tensor `w` has dtype "F16"; supported: F32, I32/);
  refused(rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, data), /tensor `w` spans 16 bytes, but shape \[3\] of F32 needs 12/);
  refused(rawFile({ w: { dtype: "F32", shape: [-4], data_offsets: [0, 16] } }, data), /tensor `w` has shape \[-4\], not a list of non-negative integers/);
  refused(rawFile({ w: { dtype: "F32", shape: [4], data_offsets: [16, 0] } }, data), /tensor `w` has data_offsets \[16,0\], not \[begin, end\]/);
  refused(rawFile({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16], extra: 1 } }, data), /header entry `w` has unknown key `extra`/);
  refused(rawFile({ w: 3 }, data), /header entry `w` is not an object/);
  refused(rawFile({
    a: { dtype: "F32", shape: [3], data_offsets: [0, 12] },
    b: { dtype: "F32", shape: [3], data_offsets: [4, 16] },
  }, data), /tensor `b` \(bytes 4–16\) overlaps the previous tensor, which ends at 12/);
  refused(rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [8, 16] } }, data), /gap of 8 bytes before tensor `a`/);
  refused(rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, data), /8 bytes after the last tensor/);
  refused(rawFile({ a: { dtype: "F32", shape: [8], data_offsets: [0, 32] } }, data), /tensor `a` ends at byte 32, past the end of the data \(16 bytes\)/);
  refused(rawFile({ __metadata__: { step: 3 } }, new Uint8Array(0)), /`__metadata__.step` is 3, not a string/);
});

test("writer refuses inconsistent tensors and leaves an existing file untouched", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-st-"));
  try {
    const path = join(dir, "m.safetensors");
    writeFileSync(path, "old");
    const bad = new Map<string, Tensor>([["w", { dtype: "F32", shape: [2, 2], data: new Float32Array(3) }]]);
    assert.throws(() => writeSafetensors(path, bad), /tensor `w` has 3 elements, shape \[2,2\] needs 4/);
    assert.equal(readFileSync(path, "utf8"), "old");
    assert.throws(() => writeSafetensors(join(dir, "missing", "m.safetensors"), sample()), (e: unknown) => e instanceof ExtraposError && e.code === "io");
    assert.deepEqual(readdirSync(dir), ["m.safetensors"]);
    assert.ok(!existsSync(join(dir, "missing")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
