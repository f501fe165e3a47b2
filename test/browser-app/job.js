// The browser test's training job, plain ESM so that Node (src/browser/*.test.ts) and the bundled page
// (worker.js) run the very same code. `x` is the extrapos module namespace (Node root or the browser build).
// Returns the losses of every step, the final valid loss and an FNV-1a 32 hash of all parameters' bytes
// (in table order) followed by every loss's float64 bytes.

export const JOB = {
  model: { d_model: 32, n_layers: 2, n_heads: 2, context_length: 32, pe: { kind: "alibi" } },
  training: { batch: 4, steps: 30, lr: 3e-3, eval_every: 30, eval_windows: 4, checkpoint_every: 30, log_every: 1, seed: 7 },
};

function fnv(h, bytes) {
  for (let i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 0x01000193) >>> 0; }
  return h;
}

/** text: the training text (train = first 90%, valid = the rest); threads: engine threads. */
export async function runJob(x, text, threads, onStep) {
  const model = x.parseModelConfig(JOB.model);
  const training = x.parseTrainingConfig({ ...JOB.training, threads });
  const tok = x.byteTokenizer;
  const cut = Math.floor(text.length * 0.9);
  const data = { kind: "text", train: tok.encode(text.slice(0, cut)), valid: tok.encode(text.slice(cut)), spec: null, description: "browser test text" };
  const losses = [];
  const sink = x.memoryRunSink({ where: "the page", onMetric: (r) => { losses.push(r["train/loss"]); onStep?.(r); } });
  const summary = await x.trainLoop({ model, training, data, from: null, progress: false }, { createModel: x.createModel }, sink);
  let h = 0x811c9dc5;
  for (const [, p] of sink.last.checkpoint.params) h = fnv(h, new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  h = fnv(h, new Uint8Array(Float64Array.from(losses).buffer));
  return { losses, validLoss: summary.finalValidLoss, hash: h.toString(16).padStart(8, "0"), steps: summary.steps };
}
