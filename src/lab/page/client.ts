/** The page's side of the worker protocol: one worker, listeners per message type. */
import type { FromWorker, ToWorker } from "./protocol.js";

type Listener = (m: FromWorker) => void;
const listeners = new Set<Listener>();
let worker: Worker | undefined;

export function startWorker(): void {
  worker = new Worker(new URL("./lab-worker.js", import.meta.url), { type: "module" });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => { for (const l of listeners) l(ev.data); };
  worker.onerror = (ev) => { for (const l of listeners) l({ type: "error", id: "", message: ev.message || "the lab worker failed to load" }); };
}

export function send(m: ToWorker, transfer: Transferable[] = []): void {
  worker!.postMessage(m, transfer);
}

export function listen(l: Listener): void {
  listeners.add(l);
}

/** Known models (trained or dropped), for the Generate and Runs views. */
export const models = new Map<string, { label: string; config: Record<string, unknown> }>();
const modelListeners = new Set<() => void>();
export function addModel(id: string, label: string, config: Record<string, unknown>): void {
  models.set(id, { label, config });
  for (const l of modelListeners) l();
}
export function onModels(l: () => void): void {
  modelListeners.add(l);
}
