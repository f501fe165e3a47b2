/**
 * The only platform-specific part of the pool: starting a worker thread (Node `worker_threads` or a
 * browser module Web Worker), waiting until it has instantiated the kernels, and stopping it.
 * Node modules are imported dynamically so that a browser bundle never evaluates them.
 */
import type { WorkerInit } from "./control.js";

export interface WorkerHandle {
  terminate(): Promise<void>;
}

/** Called when a worker exits or fails outside a kernel (the pool then refuses further work). */
export type OnWorkerExit = (why: string) => void;

export function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

/** Cores available to this process (Node: os.availableParallelism; browser: hardwareConcurrency). */
export async function availableCores(): Promise<number> {
  if (isNode()) {
    const os = await import("node:os");
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

export async function spawnWorker(init: WorkerInit, onExit: OnWorkerExit): Promise<WorkerHandle> {
  return isNode() ? spawnNode(init, onExit) : spawnBrowser(init, onExit);
}

interface ReadyMessage {
  type: "ready" | "error";
  message?: string;
}

async function spawnNode(init: WorkerInit, onExit: OnWorkerExit): Promise<WorkerHandle> {
  const { Worker } = await import("node:worker_threads");
  // Workers inherit the process flags, except ones only valid for a main script (--input-type).
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  const worker = new Worker(new URL("./worker-node.js", import.meta.url), { workerData: init, execArgv });
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

async function spawnBrowser(init: WorkerInit, onExit: OnWorkerExit): Promise<WorkerHandle> {
  const worker = new Worker(new URL("./worker-browser.js", import.meta.url), { type: "module" });
  await new Promise<void>((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<ReadyMessage>) => {
      if (ev.data.type === "ready") resolve(); else reject(new Error(ev.data.message ?? "worker failed to start"));
    };
    worker.onerror = (ev) => { onExit(`worker ${init.index} failed: ${ev.message}`); reject(new Error(ev.message)); };
    worker.postMessage(init);
  });
  return { terminate: async () => { worker.terminate(); } };
}
