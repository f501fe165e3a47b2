/**
 * The body of every worker thread, free of Node and browser APIs (the adapters worker-node.ts and
 * worker-browser.ts only deliver the `WorkerInit` and report readiness).
 */
import { instantiateKernels } from "../wasm.js";
import {
  ACK, ARGC, BEAT, controlBlock, DONE, END, EPOCH, EXIT, HEARTBEAT_MS, KERNEL, SHUTDOWN, spinWhile, START, STATUS,
  STATUS_OK, STATUS_TRAPPED, writeMessage, type WorkerInit,
} from "./control.js";

/** Instantiates the kernels on the shared memory; returns the loop to run (blocks until shutdown). */
export function prepareWorker(init: WorkerInit): () => void {
  const kernels = instantiateKernels(init.memory, init.module);
  kernels.setThreadScratch(init.scratchPtr, init.scratchBytes);
  const fns = init.names.map((name) => kernels[name] as (...a: number[]) => unknown);
  const cb = controlBlock(init.threads - 1, init.control);
  const ints = cb.ints;
  const slot = cb.slot(init.index);
  // Read before the adapter reports "ready": the first dispatch may follow immediately.
  let seen = Atomics.load(ints, EPOCH);
  return () => {
    for (;;) {
      let e = spinWhile(ints, EPOCH, seen);
      while (e === seen) {
        if (Atomics.load(ints, slot + EXIT) !== 0) return;
        Atomics.add(ints, slot + BEAT, 1);
        Atomics.wait(ints, EPOCH, seen, HEARTBEAT_MS);
        e = Atomics.load(ints, EPOCH);
      }
      if (Atomics.load(ints, slot + EXIT) !== 0) return;
      seen = e;
      if (Atomics.load(ints, SHUTDOWN) !== 0) return;
      Atomics.store(ints, slot + ACK, e);
      const start = Atomics.load(ints, slot + START);
      const end = Atomics.load(ints, slot + END);
      let status = STATUS_OK;
      if (start < end) {
        const argc = Atomics.load(ints, ARGC);
        const call = new Array<number>(argc + 2);
        for (let i = 0; i < argc; i++) call[i] = cb.args[i]!;
        call[argc] = start;
        call[argc + 1] = end;
        try {
          fns[Atomics.load(ints, KERNEL)]!.apply(undefined, call);
        } catch (err) {
          status = STATUS_TRAPPED;
          writeMessage(cb, init.index, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        }
      }
      Atomics.store(ints, slot + STATUS, status);
      Atomics.store(ints, slot + DONE, e);
      Atomics.notify(ints, slot + DONE);
    }
  };
}
