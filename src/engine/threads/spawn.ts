/**
 * The only platform-specific part of the pool: starting a worker thread (Node `worker_threads` or a
 * browser module Web Worker), waiting until it has instantiated the kernels, and stopping it.
 * Node's modules are reached through `process.getBuiltinModule` (Node ≥ 20.16), never imported, so
 * that bundlers (esbuild, Vite) need no flags or externals for a browser build.
 *
 * The browser worker is `new Worker(new URL("./worker-browser.js", import.meta.url), { type: "module" })`
 * written literally, the pattern Vite recognises and bundles; with esbuild, emit
 * `extrapos/engine/worker` as an entry point next to the bundle (or pass `workerUrl`; docs/browser.md).
 * A worker that fails to load is an error naming the script, the HTTP status when it could be
 * fetched, and the likely cause — never an empty reason.
 */
import type * as NodeOs from "node:os";
import type * as NodeWorkerThreads from "node:worker_threads";
import type { WorkerInit } from "./control.js";

export interface WorkerHandle {
  terminate(): Promise<void>;
}

/** Called when a worker exits or fails outside a kernel (the pool then refuses further work). */
export type OnWorkerExit = (why: string) => void;

export function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

/** A Node built-in module, without an `import` a bundler would try to resolve. */
function nodeBuiltin<T>(id: string): T {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof get !== "function") throw new Error(`this Node (${process.version}) has no process.getBuiltinModule; extrapos needs Node ≥ 20.16`);
  return get(id) as T;
}

/** Cores available to this process (Node: os.availableParallelism; browser: hardwareConcurrency). */
export async function availableCores(): Promise<number> {
  if (isNode()) {
    const os = nodeBuiltin<typeof NodeOs>("node:os");
    return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/** Whether this thread may block in Atomics.wait (false on a browser's main thread). */
export function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export interface SpawnOptions {
  /** Browser: where the pool's worker script is (default: worker-browser.js beside this module). */
  workerUrl?: string | URL;
  /** A worker that has not said "ready" after this long is an error. */
  startTimeoutMs: number;
}

export async function spawnWorker(init: WorkerInit, onExit: OnWorkerExit, o: SpawnOptions): Promise<WorkerHandle> {
  return isNode() ? spawnNode(init, onExit) : spawnBrowser(init, onExit, o);
}

interface ReadyMessage {
  type: "ready" | "error";
  message?: string;
}

const NODE_WORKER_FILE = "worker-node.js";

async function spawnNode(init: WorkerInit, onExit: OnWorkerExit): Promise<WorkerHandle> {
  const { Worker } = nodeBuiltin<typeof NodeWorkerThreads>("node:worker_threads");
  // Workers inherit the process flags, except ones only valid for a main script (--input-type).
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  // The URL is built apart from `new Worker(…)` so that Vite does not take this Node worker for a browser one.
  const script = new URL("./" + NODE_WORKER_FILE, import.meta.url);
  const worker = new Worker(script, { workerData: init, execArgv });
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    worker.once("message", (m: ReadyMessage) => {
      if (m.type === "ready") { ready = true; resolve(); } else reject(new Error(m.message ?? "worker failed to start"));
    });
    worker.once("error", (err: Error) => { onExit(`worker ${init.index} failed: ${err.message}`); reject(err); });
    worker.once("exit", (code) => {
      onExit(`worker ${init.index} exited with code ${code}`);
      if (!ready) reject(new Error(`worker ${init.index} exited with code ${code} before it was ready`));
    });
  });
  worker.unref(); // an engine that was never disposed must not keep the process alive
  return { terminate: async () => { await worker.terminate(); } };
}

/** Why a browser worker script did not start: its HTTP status when it can be fetched, and the likely cause. */
async function loadFailure(url: string): Promise<string> {
  let status = "";
  try {
    const r = await fetch(url, { method: "GET", cache: "no-store" });
    status = r.ok ? ` (it answers ${r.status}, so it failed to evaluate: a syntax error, a failed import, or a Cross-Origin-Embedder-Policy block)` : ` (HTTP ${r.status})`;
  } catch (e) {
    status = ` (fetching it failed: ${e instanceof Error ? e.message : String(e)})`;
  }
  return `the worker script ${url} could not be loaded${status}; when bundling with esbuild, emit extrapos/engine/worker as an entry point beside the bundle or pass the engine option workerUrl (docs/browser.md)`;
}

const WORKER_FILE = "worker-browser.js";

async function spawnBrowser(init: WorkerInit, onExit: OnWorkerExit, o: SpawnOptions): Promise<WorkerHandle> {
  // Written literally so that Vite bundles the worker (its `new Worker(new URL(…, import.meta.url))` pattern).
  const worker = o.workerUrl !== undefined
    ? new Worker(o.workerUrl, { type: "module" })
    : new Worker(new URL("./worker-browser.js", import.meta.url), { type: "module" });
  const url = String(o.workerUrl ?? new URL("./" + WORKER_FILE, import.meta.url)); // not a literal: bundlers leave it alone
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`worker ${init.index} did not start within ${o.startTimeoutMs} ms (${url})`)), o.startTimeoutMs);
      worker.onmessage = (ev: MessageEvent<ReadyMessage>) => {
        if (ev.data?.type === "ready") resolve(); else reject(new Error(ev.data?.message ?? "worker failed to start"));
      };
      worker.onerror = (ev: Event) => {
        ev.preventDefault();
        const message = (ev as ErrorEvent).message;
        if (message) reject(new Error(message));
        else void loadFailure(url).then((why) => reject(new Error(why)));
      };
      worker.postMessage(init);
    });
  } catch (err) {
    worker.terminate();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  worker.onerror = (ev: Event) => onExit(`worker ${init.index} failed: ${(ev as ErrorEvent).message || "an uncaught error"}`);
  worker.onmessage = null;
  return { terminate: async () => { worker.terminate(); } };
}
