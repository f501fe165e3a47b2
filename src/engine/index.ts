/**
 * `extrapos/engine`: the WebAssembly SIMD engine (Node and browsers). `createEngine` starts the
 * thread pool (or the single-threaded engine where shared memory or blocking waits are unavailable);
 * `engineInfo` tells which kernel build runs. The pool's browser worker is `extrapos/engine/worker`
 * (docs/browser.md).
 *
 * Example:
 *   import { createEngine, engineInfo } from "extrapos/engine";
 *   const engine = await createEngine({ threads: "auto" });
 *   console.log(engine.threads, engineInfo(engine));      // e.g. 4 { fma: true, memory: "shared" }
 *   await engine.dispose();
 */
export { createEngine, DEFAULT_ENGINE_OPTIONS, ThreadedEngine, type EngineOptions } from "./threads/pool.js";
export { SerialEngine, type Engine, type SerialEngineOptions } from "./engine.js";
export { engineInfo, sharedMemoryAvailable, type EngineInfo, type MemoryKind } from "./wasm.js";
