/**
 * Every `extrapos pe` request is bounded before it is computed: the numbers it would produce (or the
 * work it would do) are estimated from the flags alone and refused above `MAX_PE_NUMBERS` with the
 * estimate, the limit and a hint. The estimate multiplies every size flag given (positions, dim,
 * heads, length, window, width, max-pos, plot-range) and the length of every list (positions,
 * distances, relative positions, gates); a method whose output grows otherwise declares `size`
 * (CoPE: T² positions from T gates). RoPE's rows depend on the config's rotary dimension, which
 * `pe rope` checks itself once the config is read (positions × rotary_dim × 2), before computing.
 *
 * The limit, 2^22 = 4,194,304 numbers, keeps the JSON below ~100 MB (V8 strings stop at 2^29 chars).
 *
 * Example: `checkPeRequest("alibi", args)` with `--heads 1000000000` throws
 *   "pe alibi would produce 1,000,000,000 numbers (heads 1000000000), more than the limit of 4,194,304"
 */
import { ExtraposError } from "../../pe/errors.js";
import type { ParsedArgs } from "../args.js";

export const MAX_PE_NUMBERS = 2 ** 22;

/** Integer flags that multiply the size of the output or of the work. */
const SIZE_FLAGS = ["positions", "dim", "heads", "length", "window", "width", "max-pos", "plot-range"];

export interface PeRequestSize {
  numbers: number;
  /** "positions 200000 × dim 4096" */
  what: string;
}

/** The generic estimate (see the file header). */
export function genericPeSize(args: ParsedArgs): PeRequestSize {
  let numbers = 1;
  const parts: string[] = [];
  for (const [name, v] of args.options) {
    if (Array.isArray(v)) {
      numbers *= Math.max(1, v.length);
      parts.push(`${v.length} ${name}`);
    } else if (typeof v === "number" && SIZE_FLAGS.includes(name)) {
      numbers *= Math.max(1, Math.abs(v));
      parts.push(`${name} ${v}`);
    }
  }
  return { numbers, what: parts.join(" × ") || "defaults" };
}

/** Throws `invalid_argument` when `size` exceeds the limit. */
export function refuseLargePe(method: string, size: PeRequestSize, hint = "ask for fewer positions, heads or channels (several smaller calls give the same numbers)"): void {
  if (size.numbers > MAX_PE_NUMBERS) {
    throw new ExtraposError(
      "invalid_argument",
      `pe ${method} would produce ${Math.round(size.numbers).toLocaleString("en-US")} numbers (${size.what}), more than the limit of ${MAX_PE_NUMBERS.toLocaleString("en-US")}`,
      hint,
    );
  }
}
