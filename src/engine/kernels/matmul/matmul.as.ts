// Matrix products C[M,N] (+)= op(A)·op(B) (+ bias[N]) in float32 with 128-bit SIMD, and the bias
// gradient. Sizes: M rows of C, K the inner dimension, N columns of C. All matrices row-major.
//
//   matmulAB   : C = A·B     A [M,K], B [K,N]
//   matmulABt  : C = A·Bᵀ    A [M,K], B [N,K]   (linear forward: out = inp·Wᵀ, W [out,in])
//   matmulAtB  : C = Aᵀ·B    A [K,M], B [K,N]   (weight gradient: dW += dOutᵀ·inp)
//   matmulAtBt : C = Aᵀ·Bᵀ   A [K,M], B [N,K]
// Arguments (c, a, b, bias, m, k, n, accumulate, splitColumns, start, end): `bias` is a pointer to N
// floats or 0 for none; `accumulate` ≠ 0 adds to C (C += A·B + bias), 0 overwrites it; [start, end)
// selects the rows of C to compute (splitColumns = 0: the thread pool splits M) or its columns
// (splitColumns ≠ 0, for products with too few rows to share; ranges should be multiples of NR).
//
// Design (Goto/BLIS): for each K block of KC and N block of NC, B's block is packed into the
// thread's scratch as NR-column panels (KC×NR contiguous, zero-padded); for each MR-row group, A's
// rows are packed as an MR×KC micro-panel, k-major, each element stored pre-broadcast as an f32x4 (so
// the micro-kernel reads it with a plain vector load: V8 emits an extra address computation for every
// load32_splat with an offset); the micro-kernel keeps the MR×NR = 5×8 tile of C in 10 f32x4
// registers (V8 allocates 15 XMM registers on x86-64: 10 accumulators + 2 of B + 1 of A + 1 product
// fit; 6×8 spills) and walks the panels. Transposes only change the packing routines. Every element
// of C is summed in the same order (bias, then k = 0…K−1 with K blocks in order) whatever the row
// range, so results are bit-identical for any thread count.
import { threadScratch } from "../../memory/scratch.as";

const MR: i32 = 5;
const NR: i32 = 8;
const KC: i32 = 256;
const NC: i32 = 256;
const BP_BYTES: usize = <usize>(KC * NC * 4);
const AP_BYTES: usize = <usize>(MR * KC * 16);
const TILE_BYTES: usize = <usize>(MR * NR * 4);

/** Bytes of per-thread scratch the matmul kernels need (the glue checks the engine has them). */
export function matmulScratchBytes(): i32 {
  return <i32>(BP_BYTES + AP_BYTES + TILE_BYTES + <usize>NR * 4);
}

/** Rows per register tile: the grain of a row split. */
export function matmulRowGrain(): i32 {
  return MR;
}

/** Columns per register tile: the grain of a column split. */
export function matmulColumnGrain(): i32 {
  return NR;
}

export function matmulAB(c: usize, a: usize, b: usize, bias: usize, m: i32, k: i32, n: i32, accumulate: i32, splitColumns: i32, start: i32, end: i32): void {
  if (splitColumns != 0) gemm(c, a, b, bias, m, k, n, accumulate, 0, m, start, end, false, false);
  else gemm(c, a, b, bias, m, k, n, accumulate, start, end, 0, n, false, false);
}

export function matmulABt(c: usize, a: usize, b: usize, bias: usize, m: i32, k: i32, n: i32, accumulate: i32, splitColumns: i32, start: i32, end: i32): void {
  if (splitColumns != 0) gemm(c, a, b, bias, m, k, n, accumulate, 0, m, start, end, false, true);
  else gemm(c, a, b, bias, m, k, n, accumulate, start, end, 0, n, false, true);
}

export function matmulAtB(c: usize, a: usize, b: usize, bias: usize, m: i32, k: i32, n: i32, accumulate: i32, splitColumns: i32, start: i32, end: i32): void {
  if (splitColumns != 0) gemm(c, a, b, bias, m, k, n, accumulate, 0, m, start, end, true, false);
  else gemm(c, a, b, bias, m, k, n, accumulate, start, end, 0, n, true, false);
}

export function matmulAtBt(c: usize, a: usize, b: usize, bias: usize, m: i32, k: i32, n: i32, accumulate: i32, splitColumns: i32, start: i32, end: i32): void {
  if (splitColumns != 0) gemm(c, a, b, bias, m, k, n, accumulate, 0, m, start, end, true, true);
  else gemm(c, a, b, bias, m, k, n, accumulate, start, end, 0, n, true, true);
}

/** Rows [start, end) × columns [colStart, colEnd) of C. */
function gemm(c: usize, a: usize, b: usize, bias: usize, m: i32, k: i32, n: i32, accumulate: i32, start: i32, end: i32, colStart: i32, colEnd: i32, transA: bool, transB: bool): void {
  if (k == 0) {
    biasOnly(c, bias, n, accumulate, start, end, colStart, colEnd);
    return;
  }
  const bp = threadScratch();
  const ap = bp + BP_BYTES;
  const tile = ap + AP_BYTES;
  const biasTile = tile + TILE_BYTES;
  const ldc = <usize>n << 2;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const first = pc == 0;
    const loadC = !first || accumulate != 0;
    for (let jc = colStart; jc < colEnd; jc += NC) {
      const nc = min(NC, colEnd - jc);
      packB(bp, b, pc, kc, jc, nc, k, n, transB);
      for (let i0 = start; i0 < end; i0 += MR) {
        const mr = min(MR, end - i0);
        packA(ap, a, i0, mr, pc, kc, m, k, transA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const col = jc + jr;
          const cptr = c + ((<usize>i0 * <usize>n + <usize>col) << 2);
          const panel = bp + ((<usize>jr * <usize>kc) << 2);
          const bptr: usize = first && bias != 0 ? bias + (<usize>col << 2) : 0;
          if (mr == MR && nr == NR) {
            microTile(ap, panel, kc, cptr, ldc, loadC, bptr);
          } else {
            edgeTile(ap, panel, kc, cptr, ldc, loadC, bptr, mr, nr, tile, biasTile);
          }
        }
      }
    }
  }
}

/** K = 0: C = bias (or 0), or C += bias. */
function biasOnly(c: usize, bias: usize, n: i32, accumulate: i32, start: i32, end: i32, colStart: i32, colEnd: i32): void {
  for (let i = start; i < end; i++) {
    const row = c + ((<usize>i * <usize>n) << 2);
    for (let j = colStart; j < colEnd; j++) {
      const bj: f32 = bias != 0 ? load<f32>(bias + (<usize>j << 2)) : 0;
      const p = row + (<usize>j << 2);
      store<f32>(p, accumulate != 0 ? load<f32>(p) + bj : bj);
    }
  }
}

/** Packs B[pc:pc+kc, jc:jc+nc] as NR-column panels: panel q holds element (p, j) at q·kc·NR + p·NR + j. */
function packB(bp: usize, b: usize, pc: i32, kc: i32, jc: i32, nc: i32, k: i32, n: i32, transB: bool): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const dst = bp + ((<usize>jr * <usize>kc) << 2);
    if (!transB) {
      // B [K,N]: element (kk, col) at (kk·N + col)
      let src = b + ((<usize>pc * <usize>n + <usize>(jc + jr)) << 2);
      const stride = <usize>n << 2;
      if (nr == NR) {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>p << 5);
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          src += stride;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>p << 5);
          for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
          src += stride;
        }
      }
    } else {
      // B stored [N,K]: element (kk, col) at (col·K + kk)
      for (let j = 0; j < NR; j++) {
        const d = dst + (<usize>j << 2);
        if (j < nr) {
          const src = b + ((<usize>(jc + jr + j) * <usize>k + <usize>pc) << 2);
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>p << 5), load<f32>(src + (<usize>p << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>p << 5), 0);
        }
      }
    }
  }
}

/**
 * Packs rows i0…i0+mr−1 of op(A), columns pc…pc+kc−1, k-major and pre-broadcast: element (r, p) is
 * the f32x4 at (p·MR + r)·16 (zero rows past mr).
 */
function packA(ap: usize, a: usize, i0: i32, mr: i32, pc: i32, kc: i32, m: i32, k: i32, transA: bool): void {
  const step = <usize>MR << 4;
  if (!transA) {
    // A [M,K]: element (i, kk) at (i·K + kk)
    for (let r = 0; r < MR; r++) {
      let d = ap + (<usize>r << 4);
      if (r < mr) {
        const src = a + ((<usize>(i0 + r) * <usize>k + <usize>pc) << 2);
        for (let p = 0; p < kc; p++) {
          v128.store(d, v128.load32_splat(src + (<usize>p << 2)));
          d += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          v128.store(d, f32x4.splat(0));
          d += step;
        }
      }
    }
  } else {
    // A stored [K,M]: element (i, kk) at (kk·M + i)
    let src = a + ((<usize>pc * <usize>m + <usize>i0) << 2);
    const stride = <usize>m << 2;
    let d = ap;
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        v128.store(d + (<usize>r << 4), r < mr ? v128.load32_splat(src + (<usize>r << 2)) : f32x4.splat(0));
      }
      src += stride;
      d += step;
    }
  }
}

/** A partial tile (mr < MR or nr < NR): computed in a full MR×NR scratch tile, then copied out. */
function edgeTile(ap: usize, panel: usize, kc: i32, c: usize, ldc: usize, loadC: bool, bias: usize, mr: i32, nr: i32, tile: usize, biasTile: usize): void {
  const tldc: usize = <usize>NR << 2;
  for (let r = 0; r < MR; r++) {
    for (let j = 0; j < NR; j++) {
      const v: f32 = loadC && r < mr && j < nr ? load<f32>(c + <usize>r * ldc + (<usize>j << 2)) : 0;
      store<f32>(tile + <usize>r * tldc + (<usize>j << 2), v);
    }
  }
  if (bias != 0) {
    for (let j = 0; j < NR; j++) store<f32>(biasTile + (<usize>j << 2), j < nr ? load<f32>(bias + (<usize>j << 2)) : 0);
  }
  microTile(ap, panel, kc, tile, tldc, true, bias != 0 ? biasTile : 0);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      store<f32>(c + <usize>r * ldc + (<usize>j << 2), load<f32>(tile + <usize>r * tldc + (<usize>j << 2)));
    }
  }
}

/** The MR×NR register tile: C[0:5, 0:8] = (loadC ? C : 0) + bias + Σ_p Ap[p, :]ᵀ ⊗ Bp[p, :]. */
function microTile(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, loadC: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  if (loadC) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
    c40 = v128.load(c + 4 * ldc); c41 = v128.load(c + 4 * ldc, 16);
  }
  if (bias != 0) {
    const b0 = v128.load(bias), b1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1);
    c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
    c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1);
    c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
    c40 = f32x4.add(c40, b0); c41 = f32x4.add(c41, b1);
  }
  // One k step per iteration: unrolling made V8 spill (measured), so the loop stays plain.
  const bEnd = bp + (<usize>kc << 5);
  if (ASC_FEATURE_RELAXED_SIMD) {
    // The FMA build (asc --enable relaxed-simd; the loader uses it only where relaxed_madd is fused):
    // c = x·b + c rounded once. The only place any kernel differs between the builds.
    while (bp < bEnd) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      let x = v128.load(ap);
      c00 = f32x4.relaxed_madd(x, b0, c00); c01 = f32x4.relaxed_madd(x, b1, c01);
      x = v128.load(ap, 16);
      c10 = f32x4.relaxed_madd(x, b0, c10); c11 = f32x4.relaxed_madd(x, b1, c11);
      x = v128.load(ap, 32);
      c20 = f32x4.relaxed_madd(x, b0, c20); c21 = f32x4.relaxed_madd(x, b1, c21);
      x = v128.load(ap, 48);
      c30 = f32x4.relaxed_madd(x, b0, c30); c31 = f32x4.relaxed_madd(x, b1, c31);
      x = v128.load(ap, 64);
      c40 = f32x4.relaxed_madd(x, b0, c40); c41 = f32x4.relaxed_madd(x, b1, c41);
      ap += 80;
      bp += 32;
    }
  } else {
    while (bp < bEnd) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      let x = v128.load(ap);
      c00 = f32x4.add(c00, f32x4.mul(x, b0)); c01 = f32x4.add(c01, f32x4.mul(x, b1));
      x = v128.load(ap, 16);
      c10 = f32x4.add(c10, f32x4.mul(x, b0)); c11 = f32x4.add(c11, f32x4.mul(x, b1));
      x = v128.load(ap, 32);
      c20 = f32x4.add(c20, f32x4.mul(x, b0)); c21 = f32x4.add(c21, f32x4.mul(x, b1));
      x = v128.load(ap, 48);
      c30 = f32x4.add(c30, f32x4.mul(x, b0)); c31 = f32x4.add(c31, f32x4.mul(x, b1));
      x = v128.load(ap, 64);
      c40 = f32x4.add(c40, f32x4.mul(x, b0)); c41 = f32x4.add(c41, f32x4.mul(x, b1));
      ap += 80;
      bp += 32;
    }
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40); v128.store(c + 4 * ldc, c41, 16);
}

/**
 * Bias gradient: dBias[j] += Σ_r dOut[r, j] for columns [start, end), summed in float64 in row order.
 * dOut [rows, cols], dBias [cols].
 */
export function biasGradAccumulate(dBias: usize, dOut: usize, rows: i32, cols: i32, start: i32, end: i32): void {
  const stride = <usize>cols << 2;
  let j = start;
  for (; j + 4 <= end; j += 4) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let p = dOut + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(p);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
      p += stride;
    }
    const d = dBias + (<usize>j << 2);
    store<f32>(d, <f32>(<f64>load<f32>(d) + f64x2.extract_lane(lo, 0)));
    store<f32>(d, <f32>(<f64>load<f32>(d, 4) + f64x2.extract_lane(lo, 1)), 4);
    store<f32>(d, <f32>(<f64>load<f32>(d, 8) + f64x2.extract_lane(hi, 0)), 8);
    store<f32>(d, <f32>(<f64>load<f32>(d, 12) + f64x2.extract_lane(hi, 1)), 12);
  }
  for (; j < end; j++) {
    let s: f64 = 0;
    let p = dOut + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      s += <f64>load<f32>(p);
      p += stride;
    }
    const d = dBias + (<usize>j << 2);
    store<f32>(d, <f32>(<f64>load<f32>(d) + s));
  }
}
