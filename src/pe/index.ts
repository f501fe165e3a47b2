/**
 * `extrapos/pe`: every positional encoding as pure float64 functions of plain parameters.
 * Nothing here imports from engine/ or above.
 */
export { ExtraposError, type ErrorCode } from "./errors.js";
export * from "./rope/index.js";
