/**
 * The test kit's finite differences (test-only). One central difference, `finiteDifference(f, slot, h)`, over
 * any scalar slot (an element of a float64 or float32 array, or a get/set pair): the loss at x + h and x − h,
 * divided by the difference of the values actually stored (so a float32 slot's rounding of the step does not
 * bias the quotient); the slot is restored. `relative: true` scales the step by max(1, |x|).
 *
 * Example: `finiteDifference(() => loss(x), slotOf(x, 3), 1e-6)` ≈ ∂loss/∂x[3].
 */

/** A scalar the difference perturbs. */
export interface Slot {
  get(): number;
  set(v: number): void;
}

/** Element i of an array (Float64Array: exact steps; Float32Array: steps rounded, handled by the quotient). */
export function slotOf(a: { [i: number]: number }, i: number): Slot {
  return { get: () => a[i]!, set: (v) => { a[i] = v; } };
}

/** (f(x + h) − f(x − h)) / (stored x + h − stored x − h) at the slot's current value x; the slot is restored. */
export function finiteDifference(f: () => number, slot: Slot, h: number, opts: { relative?: boolean } = {}): number {
  const x0 = slot.get();
  const step = opts.relative ? h * Math.max(1, Math.abs(x0)) : h;
  slot.set(x0 + step);
  const up = slot.get(), fUp = f();
  slot.set(x0 - step);
  const down = slot.get(), fDown = f();
  slot.set(x0);
  return (fUp - fDown) / (up - down);
}

/** The finite-difference gradient of f at x, coordinate by coordinate (x is restored). */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) g[i] = finiteDifference(() => f(x), slotOf(x, i), h);
  return g;
}

/** Σ a·b in float64: a random projection G turns an output array into a scalar loss whose gradient wrt it is G. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
