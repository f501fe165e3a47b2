/** Float64 reference of the residual add (used only by tests). */
export function residualForwardRef(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (x, i) => x + b[i]!);
}
