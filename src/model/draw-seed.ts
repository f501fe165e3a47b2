/**
 * Seeds of random evaluation positions (randomized-position models evaluated by the reference protocol,
 * `EvalOptions.randomPositions`): one 32-bit seed per (seed, length, model call, draw), so an evaluation
 * is reproducible and every call and draw gets its own positions.
 *
 * Example: `drawSeed(0, 128, 3, 1)` → a uint32
 */

/** Seed of draw `d` of model call `call` at length L (a 32-bit mix; distinct inputs give distinct seeds in practice). */
export function drawSeed(seed: number, L: number, call: number, d: number): number {
  let h = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(L, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ Math.imul(call + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 13), 0x165667b1) ^ Math.imul(d + 1, 0x9e3779b1);
  return (h ^ (h >>> 16)) >>> 0;
}
