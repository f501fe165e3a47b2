/** Float64 reference of GELU with the tanh approximation, written as PyTorch writes it. */

const BETA = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

/** ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch `approximate="tanh"`). */
export function geluRef(x: number): number {
  return 0.5 * x * (1 + Math.tanh(BETA * (x + KAPPA * x * x * x)));
}

/** d/dx of geluRef, PyTorch's GeluBackward (tanh) formula term by term. */
export function geluGradRef(x: number): number {
  const t = Math.tanh(BETA * (x + KAPPA * x * x * x));
  const left = 0.5 * x;
  const right = 1 + t;
  return 0.5 * right + left * (1 - t * t) * BETA * (1 + 3 * KAPPA * x * x);
}

export function geluForwardRef(inp: ArrayLike<number>): Float64Array {
  return Float64Array.from(inp, geluRef);
}

export function geluBackwardRef(dOut: ArrayLike<number>, inp: ArrayLike<number>): Float64Array {
  return Float64Array.from(inp, (x, i) => dOut[i]! * geluGradRef(x));
}
