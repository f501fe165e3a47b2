// decodeAttention alone at the decode bench's shapes (docs/engine.md "Decoding"): the tiny model's 4
// layers of K/V caches (4 heads of 32 channels, S slots each, ALiBi-style Toeplitz table over every
// distance, contiguous slots), one call per layer per round as in a decoding step — 4 MiB of K and V
// at S 1024, so a round streams them from L3 as a real step does (one layer's cache fits in L2, the
// 4 do not). Batch B > 1: B sequences sharing a prefix of S − 72 slots, each with its own 64–66
// (the decode bench's batch points). Prints one JSON line: the median, 10th percentile and fastest
// round in µs (4 calls = one token, resp. one step of B tokens) and a checksum of the outputs (the
// same for builds that give the same bytes).
//   node scripts/bench-decode-attention.mjs [S 1024] [B 1] [rounds 300]      (after npm run build)
//   DIST=/path/to/another/dist node scripts/bench-decode-attention.mjs …   (another build, for an A/B)
const dist = process.env.DIST ?? "../dist";
const { SerialEngine } = await import(dist + "/engine/engine.js");
const { decodeAttention, decodeScratchStride } = await import(dist + "/engine/kernels/decode-attention/decode-attention.js");
const e = new SerialEngine();
const [S = 1024, B = 1, rounds = 300] = process.argv.slice(2, 5).map(Number);
const NH = 4, HS = 32, C = NH * HS, L = 4, P = B > 1 ? S - 72 : 0;
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5;
const al = (n) => { const p = e.alloc(n * 4); const a = e.f32(p, n); for (let i = 0; i < n; i++) a[i] = rnd(); return p; };
const lens = e.alloc(4 * B), pos = e.alloc(4 * B * S), table = e.alloc(4 * NH * S);
const lv = e.i32(lens, B), pv = e.i32(pos, B * S), tv = e.f32(table, NH * S);
for (let b = 0; b < B; b++) lv[b] = S - 8 + (b % 3);
for (let i = 0; i < B * S; i++) pv[i] = i % S;
for (let h = 0; h < NH; h++) for (let d = 0; d < S; d++) tv[h * S + d] = -d * 2 ** (-(h + 1) * 2);
const layers = Array.from({ length: L }, () => ({
  k: al(B * NH * S * HS), v: al(B * NH * S * HS), q: al(B * 3 * C), out: al(B * C), scratch: al(B * NH * decodeScratchStride(S)), block: al(32),
}));
const times = [];
for (let it = 0; it < rounds; it++) {
  const t = performance.now();
  for (const ly of layers) {
    decodeAttention(e, ly.block, { out: ly.out, outStride: C, q: ly.q, qStride: 3 * C, k: ly.k, v: ly.v, lens, pos, slots: S, B, NH, HS, nq: 1,
      bias: { kind: "toeplitz", table, maxDistance: S - 1 }, window: 0, contiguous: true, scratch: ly.scratch, scratchStride: decodeScratchStride(S), shared: P });
  }
  times.push(performance.now() - t);
}
let check = 0;
for (const ly of layers) { const o = e.f32(ly.out, B * C); for (let i = 0; i < B * C; i++) check += o[i] * (i + 1); }
times.sort((a, b) => a - b);
const us = (x) => Math.round(x * 10000) / 10;
console.log(JSON.stringify({ S, B, rounds, median_us: us(times[times.length >> 1]), p10_us: us(times[Math.floor(times.length / 10)]), fastest_us: us(times[0]), check }));
