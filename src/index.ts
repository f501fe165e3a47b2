/** extrapos: the package root re-exports the encodings (`extrapos/pe`) and, as they land, the engine and models. */
export * from "./pe/index.js";
