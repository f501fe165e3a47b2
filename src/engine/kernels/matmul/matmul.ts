/**
 * Matrix products and the linear layer on the engine (glue: shape checks, then the threaded call).
 *
 * Size legend: R rows (B·T tokens), C input channels, OC output channels; M, K, N as in C[M,N] = A·B.
 * Transpose codes name how A and B are stored: "N" as in the product, "T" transposed —
 *   NN: A [M,K], B [K,N]   NT: A [M,K], B [N,K]   TN: A [K,M], B [K,N]   TT: A [K,M], B [N,K].
 * Accumulate rule: `accumulate: true` adds into C (parameter gradients: dW +=), false overwrites it.
 * Rows of C are split across threads (grain: the register tile height, more for small products), or its
 * columns when there are too few rows to share (generation, M = 1); every element is summed in the
 * same order whatever the split, so results are bit-identical across runs and thread counts.
 */
import { ExtraposError } from "../../../pe/errors.js";
import { kernelFunction, type Engine } from "../../engine.js";
import { formatShape, type TensorRef } from "../../memory/plan.js";
import { checkFiniteIf } from "../finite/finite.js";
import { BIAS_GRAD_ACCUMULATE, MATMUL_AB, MATMUL_ABT, MATMUL_ATB, MATMUL_ATBT, type MatmulArgs } from "../names.js";

export type Transpose = "NN" | "NT" | "TN" | "TT";

export interface MatmulOptions {
  /** Default "NN". */
  transpose?: Transpose;
  /** Row vector [N] added to every row of C. */
  bias?: TensorRef;
  /** C += … instead of C = … (default false). */
  accumulate?: boolean;
}

const KERNEL = { NN: MATMUL_AB, NT: MATMUL_ABT, TN: MATMUL_ATB, TT: MATMUL_ATBT } as const satisfies Record<Transpose, string>;
const FORMULA: Record<Transpose, string> = { NN: "A·B", NT: "A·Bᵀ", TN: "Aᵀ·B", TT: "Aᵀ·Bᵀ" };
/** Below about this many flops per thread, waking another thread costs more than it saves. */
const MIN_FLOPS_PER_THREAD = 1 << 18;

/**
 * C[M,N] (+)= op(A)·op(B) (+ bias[N]).
 *
 * @example
 *   // out = inp · Wᵀ + b with W in PyTorch layout [OC, C]
 *   matmul(engine, { ptr: out, shape: [R, OC] }, { ptr: inp, shape: [R, C] }, { ptr: w, shape: [OC, C] },
 *          { transpose: "NT", bias: { ptr: b, shape: [OC] } });
 */
export function matmul(engine: Engine, c: TensorRef, a: TensorRef, b: TensorRef, options: MatmulOptions = {}): void {
  const t = options.transpose ?? "NN";
  if (!(t in KERNEL)) throw new ExtraposError("invalid_argument", `matmul: \`transpose\` must be one of NN, NT, TN, TT, got ${JSON.stringify(t)}`);
  const op = `matmul ${t} (C = ${FORMULA[t]}${options.bias ? " + bias" : ""})`;
  const [m, k] = dims2(op, "a", a, t[0] === "T");
  const [kb, n] = dims2(op, "b", b, t[1] === "T");
  if (k !== kb) {
    throw new ExtraposError("shape_mismatch", `${op}: inner dimensions differ: \`a\` ${formatShape(a.shape)} gives K = ${k}, \`b\` ${formatShape(b.shape)} gives K = ${kb}`);
  }
  if (c.shape.length !== 2 || c.shape[0] !== m || c.shape[1] !== n) {
    throw new ExtraposError("shape_mismatch", `${op}: \`c\` has shape ${formatShape(c.shape)} but ${FORMULA[t]} is ${formatShape([m, n])}`);
  }
  if (options.bias && (options.bias.shape.length !== 1 || options.bias.shape[0] !== n)) {
    throw new ExtraposError("shape_mismatch", `${op}: \`bias\` has shape ${formatShape(options.bias.shape)} but must be ${formatShape([n])}`);
  }
  for (const [name, ref] of [["c", c], ["a", a], ["b", b], ["bias", options.bias]] as const) {
    if (ref && !(Number.isInteger(ref.ptr) && ref.ptr > 0 && ref.ptr % 4 === 0)) {
      throw new ExtraposError("invalid_argument", `${op}: \`${name}.ptr\` must be a positive multiple of 4, got ${ref.ptr}`);
    }
  }
  checkScratch(engine);
  checkFiniteIf(engine, op, { a, b, bias: options.bias, ...(options.accumulate ? { c } : {}) });
  const split = chooseSplit(engine, m, k, n);
  const label = `${op} with a ${formatShape(a.shape)}, b ${formatShape(b.shape)}, c ${formatShape(c.shape)}`;
  const args: MatmulArgs = [c.ptr, a.ptr, b.ptr, options.bias?.ptr ?? 0, m, k, n, options.accumulate ? 1 : 0, split.columns ? 1 : 0];
  engine.parallelFor(KERNEL[t], split.columns ? n : m, args, split.grain, label);
  checkFiniteIf(engine, op, { c });
}

/** (rows, cols) of op(X) for a 2-D operand stored as given or transposed. */
function dims2(op: string, name: string, x: TensorRef, transposed: boolean): [number, number] {
  if (x.shape.length !== 2 || !x.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ExtraposError("shape_mismatch", `${op}: \`${name}\` must be a 2-D shape, got ${formatShape(x.shape)}`);
  }
  return transposed ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
}

/**
 * Split rows (grain: whole register tiles, at least MIN_FLOPS_PER_THREAD of work per chunk) unless
 * that leaves a thread idle while the columns would give every thread work.
 */
function chooseSplit(engine: Engine, m: number, k: number, n: number): { columns: boolean; grain: number } {
  const rowTile = kernelFunction(engine.kernels, "matmulRowGrain")() as number;
  const colTile = kernelFunction(engine.kernels, "matmulColumnGrain")() as number;
  const grainFor = (tile: number, extent: number, flopsPerItem: number): number => {
    const forMinWork = Math.ceil(MIN_FLOPS_PER_THREAD / Math.max(1, flopsPerItem) / tile) * tile;
    return Math.min(Math.max(tile, forMinWork), Math.max(tile, Math.ceil(extent / tile) * tile));
  };
  const rowGrain = grainFor(rowTile, m, 2 * k * n);
  const colGrain = grainFor(colTile, n, 2 * k * m);
  const rowChunks = Math.ceil(m / rowGrain), colChunks = Math.ceil(n / colGrain);
  const threads = engine.threads;
  if (rowChunks < threads && colChunks > rowChunks) return { columns: true, grain: colGrain };
  return { columns: false, grain: rowGrain };
}

function checkScratch(engine: Engine): void {
  const need = kernelFunction(engine.kernels, "matmulScratchBytes")() as number;
  if (engine.scratchBytesPerThread < need) {
    throw new ExtraposError("invalid_config", `matmul needs ${need} bytes of scratch per thread, the engine has \`scratchBytesPerThread\` = ${engine.scratchBytesPerThread}`);
  }
}

/** Rows of a [..., X] activation (all leading dimensions flattened) and its last dimension. */
function rowsCols(op: string, name: string, x: TensorRef): [number, number] {
  if (x.shape.length < 1) throw new ExtraposError("shape_mismatch", `${op}: \`${name}\` must have at least 1 dimension, got ${formatShape(x.shape)}`);
  const cols = x.shape[x.shape.length - 1]!;
  return [x.shape.slice(0, -1).reduce((p, d) => p * d, 1), cols];
}

const flat = (x: TensorRef, rows: number, cols: number): TensorRef => ({ ptr: x.ptr, shape: [rows, cols] });

/**
 * out[R, OC] = inp[R, C] · weightᵀ + bias, with weight [OC, C] (PyTorch layout); leading dims of inp/out
 * are flattened into R.
 *
 * @example linearForward(engine, params.ref("h0.fc.out"), acts.ref("h0.ln2"), params.ref("h0.fc.w"), params.ref("h0.fc.b"));
 */
export function linearForward(engine: Engine, out: TensorRef, inp: TensorRef, weight: TensorRef, bias?: TensorRef): void {
  const op = "linearForward";
  const [r, cIn] = rowsCols(op, "inp", inp);
  const [ro, oc] = rowsCols(op, "out", out);
  if (ro !== r) throw new ExtraposError("shape_mismatch", `${op}: \`out\` ${formatShape(out.shape)} and \`inp\` ${formatShape(inp.shape)} have different leading dimensions`);
  matmul(engine, flat(out, r, oc), flat(inp, r, cIn), weight, { transpose: "NT", ...(bias ? { bias } : {}) });
}

export interface LinearBackwardOptions {
  /** dInp += … (residual-stream convention) instead of dInp = … (default false). */
  accumulateInput?: boolean;
}

/**
 * Gradients of linearForward: dInp (=|+=) dOut·weight; dWeight += dOutᵀ·inp; dBias += Σ_rows dOut.
 * Pass `undefined` for a gradient that is not needed.
 *
 * @example linearBackward(engine, dActs.ref("h0.ln2"), grads.ref("h0.fc.w"), grads.ref("h0.fc.b"), dActs.ref("h0.fc.out"), acts.ref("h0.ln2"), params.ref("h0.fc.w"));
 */
export function linearBackward(
  engine: Engine, dInp: TensorRef | undefined, dWeight: TensorRef | undefined, dBias: TensorRef | undefined,
  dOut: TensorRef, inp: TensorRef, weight: TensorRef, options: LinearBackwardOptions = {},
): void {
  const op = "linearBackward";
  const [r, cIn] = rowsCols(op, "inp", inp);
  const [ro, oc] = rowsCols(op, "dOut", dOut);
  if (ro !== r) throw new ExtraposError("shape_mismatch", `${op}: \`dOut\` ${formatShape(dOut.shape)} and \`inp\` ${formatShape(inp.shape)} have different leading dimensions`);
  if (dInp) matmul(engine, flat(dInp, r, cIn), flat(dOut, r, oc), weight, { transpose: "NN", accumulate: options.accumulateInput ?? false });
  if (dWeight) matmul(engine, dWeight, flat(dOut, r, oc), flat(inp, r, cIn), { transpose: "TN", accumulate: true });
  if (dBias) biasGradAccumulate(engine, dBias, flat(dOut, r, oc));
}

/**
 * dBias[N] += Σ_r dOut[r, :] (summed in float64 per column, in row order; split over columns).
 *
 * @example biasGradAccumulate(engine, grads.ref("h0.fc.b"), { ptr: dOut, shape: [R, OC] });
 */
export function biasGradAccumulate(engine: Engine, dBias: TensorRef, dOut: TensorRef): void {
  const op = "biasGradAccumulate";
  const [rows, cols] = dims2(op, "dOut", dOut, false);
  if (dBias.shape.length !== 1 || dBias.shape[0] !== cols) {
    throw new ExtraposError("shape_mismatch", `${op}: \`dBias\` has shape ${formatShape(dBias.shape)} but \`dOut\` ${formatShape(dOut.shape)} needs ${formatShape([cols])}`);
  }
  const grain = Math.max(16, Math.ceil(MIN_FLOPS_PER_THREAD / Math.max(1, rows) / 16) * 16);
  engine.parallelFor(BIAS_GRAD_ACCUMULATE, cols, [dBias.ptr, dOut.ptr, rows, cols], grain, `${op} with dOut ${formatShape(dOut.shape)}`);
}
