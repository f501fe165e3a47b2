// The test app's training worker (the engine must live in a Web Worker: a page may not block in Atomics.wait).
import * as x from "extrapos";
import { runJob } from "./job.js";

/** A pool worker that stops: the next dispatch must fail with a clear error, not hang. */
async function killTest() {
  const e = await x.createEngine({ threads: 2 });
  const n = 1 << 20;
  const args = [e.alloc(4 * n), e.alloc(4 * n), e.alloc(4 * n)];
  e.parallelFor("residualForward", n, args, 1024);
  await e.killWorkerForTesting(1);
  await new Promise((r) => setTimeout(r, 300)); // terminate() takes effect asynchronously
  const t0 = performance.now();
  try {
    for (let i = 0; i < 3; i++) e.parallelFor("residualForward", n, args, 1024);
    self.postMessage({ type: "kill", failed: false, ms: performance.now() - t0 });
  } catch (err) {
    self.postMessage({ type: "kill", failed: true, message: err.message, ms: performance.now() - t0 });
  }
}

self.onmessage = async (ev) => {
  if (ev.data.kill) return killTest();
  const { text, threads } = ev.data;
  try {
    const engine = await x.createEngine({ threads });
    const info = { threads: engine.threads, ...x.engineInfo(engine) };
    await engine.dispose();
    const result = await runJob(x, text, threads, (r) => self.postMessage({ type: "step", step: r.step, loss: r["train/loss"] }));
    self.postMessage({ type: "done", info, ...result });
  } catch (e) {
    self.postMessage({ type: "error", message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
