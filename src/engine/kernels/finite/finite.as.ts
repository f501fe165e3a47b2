// Debug check for NaN/Inf: x [n] float32 is scanned in chunks of `chunk` elements; out[q] (i32) gets
// the index of the first non-finite element of chunk q, or -1. The range [start, end) is in
// elements and must start on a chunk boundary (the glue passes grain = chunk).
export function nonFiniteScan(x: usize, out: usize, chunk: i32, start: i32, end: i32): void {
  for (let q0 = start; q0 < end; q0 += chunk) {
    const q1 = min(end, q0 + chunk);
    let bad: i32 = -1;
    for (let i = q0; i < q1; i++) {
      // exponent bits all ones ⇔ NaN or ±Inf
      if ((load<u32>(x + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) { bad = i; break; }
    }
    store<i32>(out + (<usize>(q0 / chunk) << 2), bad);
  }
}
