// The test app's training worker (the engine must live in a Web Worker: a page may not block in Atomics.wait).
import * as x from "extrapos";
import { runJob } from "./job.js";

self.onmessage = async (ev) => {
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
