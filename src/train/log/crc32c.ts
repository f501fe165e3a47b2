/**
 * CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF —
 * the checksum of TFRecord framing (and of iSCSI, RFC 3720), computed with a 256-entry table.
 * `maskedCrc32c` is TensorFlow's masking for checksums stored next to the data they cover:
 * ((crc >>> 15) | (crc << 17)) + 0xa282ead8, modulo 2^32 (tensorflow/core/lib/hash/crc32c.h `Mask`).
 *
 * Example: `crc32c(new TextEncoder().encode("123456789"))` → 0xe3069283
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
