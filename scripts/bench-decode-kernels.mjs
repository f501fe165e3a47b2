// Micro-benchmark of the decoding kernels (docs/engine.md "Decoding"): best-of-300 wall time of one
// decodeAttention call (S 4096 cached keys, NH 4, HS 32, ALiBi-style Toeplitz bias) and of one
// matvecRows call (1 × 128 → 512, weights in cache).
//   [S=4096] node scripts/bench-decode-kernels.mjs [contiguous 0|1] [bias none|toeplitz]     (after npm run build)
// (S = cached keys: 1024 keeps K and V — 1 MiB — in a core's L2, 4096 does not)
import { SerialEngine } from "../dist/engine/engine.js";
import { decodeAttention, decodeScratchStride, DECODE_ATTENTION_PARAM_WORDS } from "../dist/engine/kernels/decode-attention/decode-attention.js";
import { matvecRows } from "../dist/engine/kernels/matvec/matvec.js";
const e = new SerialEngine();
const S = Number(process.env.S ?? 4096), NH = 4, HS = 32, C = 128;
const al = (n) => { const p = e.alloc(n * 4); e.f32(p, n).fill(0.01); return p; };
const k = al(NH * S * HS), v = al(NH * S * HS), q = al(3 * C), out = al(C), table = al(NH * S), scratch = al(NH * decodeScratchStride(S)), block = al(32);
const lens = e.alloc(4); e.i32(lens, 1)[0] = S;
const pos = e.alloc(4 * S); const pv = e.i32(pos, S); for (let i = 0; i < S; i++) pv[i] = i;
const contiguous = process.argv[2] === "1";
let best = Infinity;
for (let it = 0; it < 300; it++) {
  const t = performance.now();
  decodeAttention(e, block, { out, outStride: C, q, qStride: 3 * C, k, v, lens, pos, slots: S, B: 1, NH, HS, nq: 1, bias: process.argv[3] === "none" ? { kind: "none" } : { kind: "toeplitz", table, maxDistance: S - 1 }, window: 0, contiguous, scratch, scratchStride: decodeScratchStride(S) });
  best = Math.min(best, performance.now() - t);
}
console.log(`attention S=${S} NH=4 HS=32`, process.argv[3] === "none" ? "no bias" : "toeplitz", "contiguous", contiguous, "best ms", best.toFixed(4), "GMAC/s", (NH * S * HS * 2 / best / 1e6).toFixed(2));
const W = al(512 * 128), x = al(512), y = al(512);
best = Infinity;
for (let it = 0; it < 300; it++) {
  const t = performance.now();
  matvecRows(e, y, x, W, 0, 1, 128, 512);
  best = Math.min(best, performance.now() - t);
}
console.log("matvec 1x128 -> 512 best ms", best.toFixed(4), "GMAC/s", (128 * 512 / best / 1e6).toFixed(2));
