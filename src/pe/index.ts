/**
 * `extrapos/pe`: every positional encoding as pure float64 functions of plain parameters.
 * Nothing here imports from engine/ or above.
 */
export { ExtraposError, type ErrorCode } from "./errors.js";
export * from "./rope/index.js";
// --- encodings (src/pe/*.ts) ---
export * from "./sinusoidal.js";
export * from "./adaptive.js";
export * from "./learned.js";
export * from "./distance-table.js";
export * from "./alibi.js";
export * from "./t5.js";
export * from "./xpos.js";
export * from "./kerple.js";
export * from "./scalar-mlp.js";
export * from "./fire.js";
export * from "./sandwich.js";
export * from "./dynamic-bias.js";
export * from "./cope.js";
export * from "./transformer-xl.js";
export * from "./nope.js";
export * from "./randomized.js";
export * from "./spec.js";
export * from "./encodings.js";
export { ROPE_SPEC, ROTARY_PARAMS, validateRotaryDim } from "./rope/encoding.js";
export { Rng } from "./random.js";
// --- end encodings ---
