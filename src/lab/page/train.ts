/**
 * The Train view: pick encodings (from the registry), a model size, the training length and steps,
 * and the text (the Brown sample shipped with the lab, or pasted / dropped text); watch the loss
 * curves live; stop and continue; then perplexity against evaluation length, computed in the page;
 * download each run as a folder (tar) that `extrapos eval --run` reads.
 */
import { LineChart, type ChartSeries } from "./chart.js";
import { addModel, listen, send } from "./client.js";
import type { ToWorker } from "./protocol.js";
import { $, download, field, h, onFiles } from "./dom.js";
import { encodingEntries } from "./registry.js";

const SIZES: Record<string, { d_model: number; n_layers: number; n_heads: number }> = {
  tiny: { d_model: 32, n_layers: 2, n_heads: 2 },
  small: { d_model: 64, n_layers: 2, n_heads: 4 },
  medium: { d_model: 128, n_layers: 4, n_heads: 4 },
};

interface Job { id: string; pe: string; pending: ToWorker | null; target: number; started: boolean; evaluatedAt: number; train: number[]; trainX: number[]; valid: number[]; validX: number[]; ppl: { x: number[]; y: number[] }; done: boolean; steps: number }

export function mountTrain(sample: () => Promise<string>): void {
  const entries = encodingEntries();
  const defaults = new Set(["alibi", "rope", "sinusoidal"]);
  const picks = entries.map((e) => {
    const c = h("input", { type: "checkbox", value: e.name, name: "pe" });
    c.checked = defaults.has(e.name);
    return h("label", { class: "pick" }, c, e.name);
  });
  const size = h("select", { name: "size" }, ...Object.keys(SIZES).map((s) => h("option", { value: s }, `${s} (d ${SIZES[s]!.d_model}, ${SIZES[s]!.n_layers} layers, ${SIZES[s]!.n_heads} heads)`)));
  const seqLen = h("input", { type: "number", name: "seq_len", value: "64", min: "8", step: "8" });
  const steps = h("input", { type: "number", name: "steps", value: "200", min: "1" });
  const lr = h("input", { type: "number", name: "lr", value: "0.003", step: "any" });
  const source = h("select", { name: "text" }, h("option", { value: "brown" }, "Brown corpus sample"), h("option", { value: "own" }, "my text (paste or drop below)"));
  const own = h("textarea", { name: "own-text", rows: "4", placeholder: "paste text here, or drop a .txt file" });
  const ownInput = h("input", { type: "file", accept: ".txt,text/plain", hidden: "" });
  onFiles(own, ownInput, (files) => void files[0]?.text().then((t) => { own.value = t; source.value = "own"; }));
  const trainBtn = h("button", { id: "train-start" }, "Train");
  const stopBtn = h("button", { id: "train-stop", disabled: "" }, "Stop");
  const contBtn = h("button", { id: "train-continue", disabled: "" }, "Continue");
  const status = h("p", { class: "status", id: "train-status" }, "Pick encodings and press Train.");
  const lossHost = h("div", { class: "chart-host", id: "train-loss" }), pplHost = h("div", { class: "chart-host", id: "train-ppl" });
  const downloads = h("div", { class: "downloads", id: "train-downloads" });
  $("view-train").append(
    h("h3", {}, "Encodings"), h("div", { class: "picks" }, ...picks),
    h("div", { class: "form" }, field("model", size), field("training length", seqLen), field("steps", steps), field("learning rate", lr), field("text", source)),
    own, h("div", { class: "row" }, trainBtn, stopBtn, contBtn), status, lossHost, pplHost, downloads,
  );
  const loss = new LineChart(lossHost, { title: "training loss (solid) and validation loss (dashed)", xLabel: "step", yLabel: "loss (nats)" });
  const ppl = new LineChart(pplHost, { title: "perplexity vs evaluation length (the page's own evaluation)", xLabel: "evaluation length", yLabel: "perplexity", xScale: "log" });
  let jobs: Job[] = [];
  let queue: Job[] = [];
  let running: Job | null = null;
  let L = 64;
  const redraw = (): void => {
    const s: ChartSeries[] = [];
    jobs.forEach((j, i) => {
      const color = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31"][i % 13]!;
      s.push({ name: j.pe, x: j.trainX, y: j.train, color });
      if (j.valid.length) s.push({ name: `${j.pe} valid`, x: j.validX, y: j.valid, color, dashed: true });
    });
    loss.update(s);
    ppl.update(jobs.filter((j) => j.ppl.x.length).map((j) => ({ name: j.pe, x: j.ppl.x, y: j.ppl.y })), { vLines: [{ x: L, label: "training length" }] });
  };
  const next = (): void => {
    running = queue.shift() ?? null;
    stopBtn.toggleAttribute("disabled", running === null);
    trainBtn.toggleAttribute("disabled", running !== null);
    if (!running) {
      contBtn.toggleAttribute("disabled", jobs.length === 0);
      const stopped = jobs.find((j) => j.started && !j.done);
      status.textContent = stopped
        ? `stopped ${stopped.pe} at step ${stopped.steps}; Continue resumes it bit-exactly`
        : `done: ${jobs.map((j) => `${j.pe} ${j.steps} steps`).join(", ")}`;
      return;
    }
    status.textContent = `training ${running.pe}…`;
    if (running.pending) send(running.pending);
  };
  listen((m) => {
    const j = jobs.find((x) => x.id === ("id" in m ? m.id : ""));
    if (!j) return;
    if (m.type === "metric") {
      j.trainX.push(m.rec.step); j.train.push(m.rec["train/loss"] as number);
      if (typeof m.rec["valid/loss"] === "number") { j.validX.push(m.rec.step); j.valid.push(m.rec["valid/loss"]); }
      status.textContent = `training ${j.pe}: step ${m.rec.step}, loss ${(m.rec["train/loss"] as number).toFixed(3)}`;
      redraw();
    } else if (m.type === "trained") {
      j.steps = m.steps;
      j.started = true;
      j.done = !m.stopped;
      addModel(j.id, `${j.pe} (trained here, ${m.steps} steps)`, {});
      if (m.stopped) queue = [];
      const lengths = [L, 2 * L, 4 * L, 8 * L];
      send({ type: "eval", id: j.id, lengths });
      if (!downloads.querySelector(`[data-id="${j.id}"]`)) {
        const b = h("button", { "data-id": j.id }, `download ${j.pe} run`);
        b.addEventListener("click", () => send({ type: "download", id: j.id }));
        downloads.append(b);
      }
      next();
    } else if (m.type === "evaluated") {
      j.ppl = { x: m.result.lengths, y: m.result.ppl };
      j.evaluatedAt = j.steps;
      pplHost.dataset.evaluated = jobs.map((x) => `${x.pe}:${x.evaluatedAt}`).join(",");
      redraw();
    } else if (m.type === "file") {
      download(m.name, m.bytes, "application/x-tar");
    } else if (m.type === "error") {
      status.textContent = `${j.pe}: ${m.message}`;
      if (running === j) next();
    }
  });
  trainBtn.addEventListener("click", async () => {
    const chosen = picks.map((p) => p.querySelector("input")!).filter((c) => c.checked).map((c) => c.value);
    if (chosen.length === 0) { status.textContent = "pick at least one encoding"; return; }
    const text = source.value === "own" ? own.value : await sample();
    if (text.length < 2000) { status.textContent = `the text has ${text.length} characters; give at least 2000`; return; }
    L = Number(seqLen.value);
    const run = Date.now().toString(36);
    jobs = chosen.map((pe) => ({ id: `${pe}-${run}`, pe, pending: null, started: false, evaluatedAt: -1, target: Number(steps.value), train: [], trainX: [], valid: [], validX: [], ppl: { x: [], y: [] }, done: false, steps: 0 }));
    queue = [...jobs];
    redraw();
    const n = Number(steps.value);
    for (const j of jobs) {
      j.pending = ({
        type: "train", id: j.id, text,
        model: { ...SIZES[size.value]!, context_length: L, pe: { kind: j.pe }, embedding: "sqrt_d" }, // the bench's convention (docs/model.md)
        training: { steps: n, batch: 8, lr: Number(lr.value), eval_every: Math.max(1, Math.floor(n / 5)), eval_windows: 8, checkpoint_every: Math.max(1, Math.floor(n / 5)), log_every: 1, seed: 1234 },
      });
    }
    next();
  });
  stopBtn.addEventListener("click", () => { if (running) send({ type: "stop", id: running.id }); });
  contBtn.addEventListener("click", () => {
    // A stopped run continues to its target (bit-identical to never stopping); a finished one trains 100 more steps.
    const unfinished = jobs.filter((j) => j.steps < j.target);
    queue = unfinished.length > 0 ? unfinished : [...jobs];
    for (const j of queue) {
      if (!j.started) continue; // never ran: its train request is still pending
      if (j.steps >= j.target) j.target = j.steps + 100;
      j.pending = { type: "continue", id: j.id, steps: j.target };
    }
    next();
  });
}
