// Browser adapter of the worker entry (a module Web Worker): the first message carries the
// WorkerInit; the worker answers "ready" and then runs the platform-free loop (worker-loop.ts).
import type { WorkerInit } from "./control.js";
import { prepareWorker } from "./worker-loop.js";

interface WorkerScope {
  onmessage: ((ev: MessageEvent<WorkerInit>) => void) | null;
  postMessage(msg: unknown): void;
  close(): void;
}
const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (ev) => {
  scope.onmessage = null;
  let loop: () => void;
  try {
    loop = prepareWorker(ev.data);
  } catch (err) {
    scope.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
    return;
  }
  scope.postMessage({ type: "ready" });
  // The browser cannot deliver the "ready" message while this worker blocks, but the pool only
  // needs it to have been posted: postMessage queues it before the loop starts blocking.
  loop();
  scope.close(); // the loop returned: shutdown, or this worker was told to exit
};
