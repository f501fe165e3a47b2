/**
 * How `parallelFor` splits [0, n) across threads: the range is cut into ⌈n/grain⌉ chunks of `grain`
 * items (the last may be shorter), and thread t gets chunks [⌈t·C/P⌉, ⌈(t+1)·C/P⌉) — contiguous,
 * as even as the grain allows (earlier threads get the extra chunk, so with fewer chunks than threads
 * the main thread, t = 0, always has work and idle workers need not be woken), and a pure function of
 * (n, parts, grain): the same n and thread count always give the same split (determinism).
 * Threads whose share is empty get [n, n).
 */
export interface Range {
  readonly start: number;
  readonly end: number;
}

/**
 * @example
 *   splitRange(10, 3, 4) // → [{start:0,end:4}, {start:4,end:8}, {start:8,end:10}]
 *   splitRange(10, 2, 4) // → [{start:0,end:8}, {start:8,end:10}]
 */
export function splitRange(n: number, parts: number, grain = 1): Range[] {
  const g = Math.max(1, Math.floor(grain));
  const chunks = Math.ceil(Math.max(0, n) / g);
  const out: Range[] = [];
  for (let t = 0; t < parts; t++) {
    const c0 = Math.ceil((t * chunks) / parts);
    const c1 = Math.ceil(((t + 1) * chunks) / parts);
    const start = Math.min(n, c0 * g);
    const end = Math.min(n, c1 * g);
    out.push(start < end ? { start, end } : { start: n, end: n });
  }
  return out;
}
