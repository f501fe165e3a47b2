/**
 * Safetensors files (huggingface/safetensors format): an 8-byte little-endian header length N, N bytes
 * of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the
 * raw little-endian tensor bytes, offsets relative to the start of the data block.
 *
 * Encoder: header padded with spaces to a multiple of 8 bytes (so data starts 8-aligned), tensors in
 * insertion order, contiguous. This module works on bytes only (Node and browsers); reading and
 * writing files (atomically) is safetensors.ts, Node only.
 *
 * Decoder: validates everything before returning anything and refuses with
 * `ExtraposError("corrupt_file", "<file>: <problem>")`: file shorter than 8 bytes; header length over
 * `MAX_HEADER_BYTES` or past the end of the file; header not valid UTF-8 JSON or not an object;
 * `__metadata__` not a string→string map; an entry that is not exactly {dtype, shape, data_offsets};
 * dtype outside `DTYPES`; shape not a list of non-negative integers; offsets not integers with
 * begin ≤ end; byte length ≠ product(shape)·itemsize; tensors overlapping, leaving gaps, or not covering
 * the data block exactly (bytes past the last tensor, or a tensor past the end of the file).
 *
 * Supported dtypes: F32 and I32 (what our models and the PyTorch fixtures use). Data is copied out of
 * the file buffer, so returned arrays are aligned and independent of it. Hosts must be little-endian
 * (every platform Node and browsers support in practice); the module refuses to run otherwise.
 *
 * Example:
 *   const bytes = encodeSafetensors(new Map([["w", { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]]), { step: "3" });
 *   decodeSafetensors(bytes, "m.safetensors").tensors.get("w")!.data // Float32Array [1, 2]
 */
import { ExtraposError, show } from "../pe/errors.js";

export type Dtype = "F32" | "I32";
export const DTYPES: Record<Dtype, { bytes: number }> = { F32: { bytes: 4 }, I32: { bytes: 4 } };

export type Tensor =
  | { dtype: "F32"; shape: number[]; data: Float32Array }
  | { dtype: "I32"; shape: number[]; data: Int32Array };

export interface SafetensorsContent {
  /** Tensors in file order (sorted by offset). */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` map ({} when absent). */
  metadata: Record<string, string>;
}

/** Largest header we accept (the reference implementation's limit is 100 MB as well). */
export const MAX_HEADER_BYTES = 100_000_000;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!littleEndian) throw new ExtraposError("internal", "safetensors: this host is big-endian; only little-endian hosts are supported");

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** The bytes of a safetensors file holding `tensors` (in insertion order) and `metadata`. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === "__metadata__") throw new ExtraposError("invalid_argument", "a tensor cannot be named `__metadata__`");
    if (t.data.length !== numelOf(t.shape)) {
      throw new ExtraposError("shape_mismatch", `tensor \`${name}\` has ${t.data.length} elements, shape [${t.shape.join(",")}] needs ${numelOf(t.shape)}`);
    }
    const bytes = t.data.length * DTYPES[t.dtype].bytes;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") throw new ExtraposError("invalid_argument", `\`__metadata__.${k}\` must be a string, got ${show(v)}`);
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const text = new TextEncoder().encode(JSON.stringify(header));
  const json = new Uint8Array(text.length + ((8 - (text.length % 8)) % 8)).fill(0x20);
  json.set(text);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(name: string, v: unknown, corrupt: (m: string) => ExtraposError): Entry {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw corrupt(`header entry \`${name}\` is not an object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== "dtype" && k !== "shape" && k !== "data_offsets") throw corrupt(`header entry \`${name}\` has unknown key \`${k}\``);
  }
  if (typeof o.dtype !== "string" || !(o.dtype in DTYPES)) {
    throw corrupt(`tensor \`${name}\` has dtype ${show(o.dtype)}; supported: ${Object.keys(DTYPES).join(", ")}`);
  }
  const shape = o.shape;
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) throw corrupt(`tensor \`${name}\` has shape ${show(shape)}, not a list of non-negative integers`);
  const off = o.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !isNonNegInt(off[0]) || !isNonNegInt(off[1]) || off[0] > off[1]) {
    throw corrupt(`tensor \`${name}\` has data_offsets ${show(off)}, not [begin, end] with 0 ≤ begin ≤ end`);
  }
  const dtype = o.dtype as Dtype;
  const need = numelOf(shape as number[]) * DTYPES[dtype].bytes;
  if (off[1] - off[0] !== need) {
    throw corrupt(`tensor \`${name}\` spans ${off[1] - off[0]} bytes, but shape [${shape.join(",")}] of ${dtype} needs ${need}`);
  }
  return { name, dtype, shape: shape as number[], begin: off[0], end: off[1] };
}

function parseMetadata(v: unknown, corrupt: (m: string) => ExtraposError): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw corrupt("`__metadata__` is not an object");
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string") throw corrupt(`\`__metadata__.${k}\` is ${show(x)}, not a string`);
  }
  return { ...(v as Record<string, string>) };
}

/** Validates and decodes the bytes of a safetensors file; `file` names it in error messages. */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsContent {
  const corrupt = (m: string): ExtraposError => new ExtraposError("corrupt_file", `${file}: ${m}`, "the file is truncated, corrupt or not a safetensors file");
  if (bytes.length < 8) throw corrupt(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw corrupt(`header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) throw corrupt(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`);
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (e) {
    throw corrupt(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw corrupt("header JSON is not an object");
  const h = header as Record<string, unknown>;
  const metadata = parseMetadata(h.__metadata__, corrupt);
  const entries = Object.entries(h).filter(([k]) => k !== "__metadata__").map(([k, v]) => parseEntry(k, v, corrupt));
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) throw corrupt(`tensor \`${e.name}\` (bytes ${e.begin}–${e.end}) overlaps the previous tensor, which ends at ${at}`);
    if (e.begin > at) throw corrupt(`gap of ${e.begin - at} bytes before tensor \`${e.name}\` (data must be contiguous)`);
    if (e.end > dataLen) throw corrupt(`tensor \`${e.name}\` ends at byte ${e.end}, past the end of the data (${dataLen} bytes)`);
    at = e.end;
  }
  if (at !== dataLen) throw corrupt(`${dataLen - at} bytes after the last tensor (data block is ${dataLen} bytes, tensors cover ${at})`);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    // copy (not a view): aligned, independent of the file buffer
    const raw = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, e.dtype === "F32"
      ? { dtype: "F32", shape: e.shape, data: new Float32Array(raw.buffer, 0, (e.end - e.begin) / 4) }
      : { dtype: "I32", shape: e.shape, data: new Int32Array(raw.buffer, 0, (e.end - e.begin) / 4) });
  }
  return { tensors, metadata };
}
