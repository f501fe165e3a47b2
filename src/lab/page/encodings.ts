/**
 * The Encodings view: pick an encoding, set its parameters (form generated from the registry,
 * registry.ts) and the model's shape, and see what it does — the position table (absolute), the
 * attention score vs distance (rotary), the bias vs distance per head (bias families), and for RoPE
 * the wavelength of every dimension against the context for each scaling scheme. Dropping a Hugging
 * Face config.json shows that model's frequencies and attention factor. Learned encodings have no
 * picture before training: the view says so (train one in the Train view).
 */
import { adaptiveTable } from "../../pe/adaptive.js";
import { alibiDistanceTable, alibiSlopes } from "../../pe/alibi.js";
import { kerpleDistanceTable, kerpleInit } from "../../pe/kerple.js";
import { dynamicBiasInit, dynamicBiasTable } from "../../pe/dynamic-bias.js";
import { fireDistanceTable, fireInit } from "../../pe/fire.js";
import { learnedTableInit } from "../../pe/learned.js";
import { computeRopeFrequencies } from "../../pe/rope/compute.js";
import { ropeParamsFromHfConfig } from "../../pe/rope/hf-config.js";
import { makeRopeParams } from "../../pe/rope/params.js";
import { ropeScoreCurve } from "../../pe/rope/score.js";
import { sandwichDistanceTable } from "../../pe/sandwich.js";
import { sinusoidalTable } from "../../pe/sinusoidal.js";
import { relativePositionBucket } from "../../pe/t5.js";
import { xposScales } from "../../pe/xpos.js";
import { heatmapCanvas, LineChart, type ChartSeries } from "./chart.js";
import { $, errorText, field, h, onFiles } from "./dom.js";
import { encodingEntries, type EncodingEntry } from "./registry.js";

type Values = Record<string, number | string | boolean | null>;

const SHAPE = { dModel: 256, heads: 8, positions: 128, context: 8192, trained: 2048 };

function control(p: EncodingEntry["params"][number], values: Values, onChange: () => void): HTMLElement {
  let el: HTMLInputElement | HTMLSelectElement;
  if (p.kind === "boolean") {
    el = h("input", { type: "checkbox", name: p.key });
    el.checked = p.default === true;
    el.addEventListener("change", () => { values[p.key] = (el as HTMLInputElement).checked; onChange(); });
  } else if (p.kind === "choice") {
    el = h("select", { name: p.key }, ...(p.choices ?? []).map((c) => h("option", { value: c }, c)));
    el.value = String(p.default);
    el.addEventListener("change", () => { values[p.key] = el.value; onChange(); });
  } else {
    el = h("input", { type: "number", name: p.key, step: "any", placeholder: p.default === null ? "derived" : "" });
    el.value = p.default === null ? "" : String(p.default);
    el.addEventListener("input", () => { values[p.key] = el.value === "" ? null : Number(el.value); onChange(); });
  }
  values[p.key] = p.default;
  return field(p.key, el, p.help);
}

function shapeControl(label: string, key: keyof typeof SHAPE, onChange: () => void): HTMLElement {
  const el = h("input", { type: "number", name: key, min: "1", step: "1" });
  el.value = String(SHAPE[key]);
  el.addEventListener("input", () => { const v = Number(el.value); if (Number.isInteger(v) && v > 0) { SHAPE[key] = v; onChange(); } });
  return field(label, el);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function perHead(table: Float64Array, heads: number, maxD: number, label = "head"): ChartSeries[] {
  const x = range(maxD + 1);
  return range(heads).map((hh) => ({ name: `${label} ${hh + 1}`, x, y: table.subarray(hh * (maxD + 1), (hh + 1) * (maxD + 1)) }));
}

/** Wavelength 2π/θ_i of every rotary pair, per scaling scheme, for a model trained at `trained` extended to `context`. */
function wavelengthSeries(theta: number, headDim: number, trained: number, context: number): ChartSeries[] {
  const factor = Math.max(1, context / trained);
  const schemes: [string, Record<string, unknown>][] = [
    ["default", { type: "default" }],
    ["linear (PI)", { type: "linear", factor }],
    ["ntk", { type: "ntk", factor }],
    ["dynamic", { type: "dynamic", factor }],
    ["yarn", { type: "yarn", factor, originalMaxPositionEmbeddings: trained }],
    ["llama3", { type: "llama3", factor, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: trained }],
  ];
  const out: ChartSeries[] = [];
  for (const [name, scaling] of schemes) {
    try {
      const f = computeRopeFrequencies(makeRopeParams({ theta, headDim, maxPositionEmbeddings: trained, scaling: scaling as { type: "default" } }), { seqLen: context });
      out.push({ name: `${name}${f.attentionFactor !== 1 ? ` (×${f.attentionFactor.toFixed(3)})` : ""}`, x: range(f.invFreq.length), y: Array.from(f.invFreq, (w) => (2 * Math.PI) / w) });
    } catch {
      // a scheme whose required fields this view does not set is left out
    }
  }
  return out;
}

export function mountEncodings(): void {
  const entries = encodingEntries();
  const picker = h("select", { id: "enc-pick" }, ...entries.map((e) => h("option", { value: e.name }, `${e.name} (${e.family})`)));
  const form = h("div", { class: "form", id: "enc-form" });
  const shape = h("div", { class: "form" });
  const about = h("p", { class: "about" });
  const chartA = h("div", { class: "chart-host" }), chartB = h("div", { class: "chart-host" });
  const note = h("p", { class: "note", id: "enc-note" });
  const logX = h("input", { type: "checkbox" }), logY = h("input", { type: "checkbox" });
  const hfZone = h("div", { class: "drop" }, "Drop a Hugging Face config.json here (or ", h("label", { class: "link" }, "choose one", h("input", { type: "file", accept: ".json", hidden: "" })), ") to see its RoPE frequencies and attention factor");
  const hfOut = h("div", { class: "chart-host", id: "hf-out" });
  $("view-encodings").append(
    h("div", { class: "row" }, field("encoding", picker), field("log x", logX), field("log y", logY)),
    about, h("h3", {}, "Parameters (from the registry)"), form, h("h3", {}, "Model"), shape, note, chartA, chartB,
    h("h3", {}, "A model's RoPE from its config.json"), hfZone, hfOut,
  );
  let values: Values = {};
  const a = new LineChart(chartA, { title: "", xLabel: "", yLabel: "" });
  const b = new LineChart(chartB, { title: "", xLabel: "", yLabel: "" });
  const render = (): void => {
    const e = entries.find((x) => x.name === picker.value)!;
    const scales = { xScale: logX.checked ? "log" as const : "linear" as const, yScale: logY.checked ? "log" as const : "linear" as const };
    note.textContent = "";
    chartB.replaceChildren();
    try {
      draw(e, values, a, b, chartA, chartB, note, scales);
    } catch (err) {
      note.textContent = `cannot draw with these parameters: ${errorText(err)}`;
      chartA.replaceChildren();
    }
  };
  const select = (): void => {
    const e = entries.find((x) => x.name === picker.value)!;
    about.textContent = `${e.summary} — ${e.paper}`;
    values = {};
    form.replaceChildren(...e.params.map((p) => control(p, values, render)));
    if (e.params.length === 0) form.append(h("p", { class: "note" }, "no parameters"));
    render();
  };
  shape.append(shapeControl("d_model", "dModel", render), shapeControl("heads", "heads", render), shapeControl("positions / max distance", "positions", render), shapeControl("trained length", "trained", render), shapeControl("context", "context", render));
  picker.addEventListener("change", select);
  logX.addEventListener("change", render);
  logY.addEventListener("change", render);
  onFiles(hfZone, hfZone.querySelector("input")!, (files) => void showHfConfig(files[0], hfOut));
  const wanted = new URLSearchParams(location.hash.split("?")[1] ?? "").get("encoding") ?? "alibi";
  if (entries.some((e) => e.name === wanted)) picker.value = wanted;
  select();
}

async function showHfConfig(file: File | undefined, host: HTMLElement): Promise<void> {
  if (!file) return;
  try {
    const cfg = JSON.parse(await file.text()) as Record<string, unknown>;
    const params = ropeParamsFromHfConfig(cfg);
    const f = computeRopeFrequencies(params);
    const info = h("p", { class: "about" }, `${file.name}: rope_type ${params.scaling.type}, θ ${params.theta}, head dim ${params.headDim}, rotary dim ${2 * f.invFreq.length}, attention factor ${f.attentionFactor}`);
    const chart = h("div", { class: "chart-host" });
    host.replaceChildren(info, chart);
    new LineChart(chart, { title: "wavelength 2π/θᵢ per rotary pair", xLabel: "pair i", yLabel: "tokens", yScale: "log", vLines: [] })
      .update([{ name: params.scaling.type, x: range(f.invFreq.length), y: Array.from(f.invFreq, (w) => (2 * Math.PI) / w) }]);
  } catch (err) {
    host.replaceChildren(h("p", { class: "error" }, `${file.name}: ${errorText(err)}`));
  }
}

function num(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

function draw(e: EncodingEntry, v: Values, a: LineChart, b: LineChart, hostA: HTMLElement, hostB: HTMLElement, note: HTMLElement, scales: { xScale: "linear" | "log"; yScale: "linear" | "log" }): void {
  const { dModel, heads, positions: P } = SHAPE;
  const headDim = Math.max(2, Math.floor(dModel / heads));
  const name = e.name.replace(/-(log|power)$/, "");
  if (name === "sinusoidal" || name === "adaptive") {
    const table = name === "sinusoidal"
      ? sinusoidalTable(P, { dim: dModel, base: num(v.base, 10000), layout: v.layout as "interleaved", spacing: v.spacing as "vaswani" })
      : adaptiveTable(P, { dim: dModel, minPeriod: num(v.minPeriod, 4), layout: v.layout as "interleaved" });
    heatmapCanvas(hostA, `${name} table`, table, P, dModel, { x: "dimension", y: "position" });
    const dots = range(P).map((d) => { let s = 0; for (let k = 0; k < dModel; k++) s += table[k]! * table[d * dModel + k]!; return s; });
    b.update([{ name: "p₀ · p_Δ", x: range(P), y: dots }], { title: "similarity of position 0 with position Δ", xLabel: "Δ", yLabel: "dot product", ...scales });
    hostB.replaceChildren(...[...hostB.childNodes]);
    return;
  }
  if (name === "rope" || name === "xpos") {
    const theta = num(v.theta, 10000);
    const f = computeRopeFrequencies(makeRopeParams({ theta, headDim }));
    const distances = range(P);
    const score = ropeScoreCurve({ invFreq: f.invFreq, headDim, layout: "half", distances, vectors: { kind: "constant" } });
    const series: ChartSeries[] = [{ name: "q = k = 1", x: distances, y: score }];
    if (name === "xpos") {
      const s = xposScales(headDim, distances, num(v.scaleBase, 512));
      series.push({ name: "xPos scale, pair 0", x: distances, y: range(P).map((p) => s[p * (headDim / 2)]! * s[p * (headDim / 2)]!) });
    }
    a.update(series, { title: `${name}: score ⟨R(Δ)q, k⟩ vs distance (head dim ${headDim})`, xLabel: "distance Δ", yLabel: "score", ...scales });
    b.update(wavelengthSeries(theta, headDim, SHAPE.trained, SHAPE.context), {
      title: `wavelength of each pair: trained at ${SHAPE.trained}, context ${SHAPE.context}`, xLabel: "pair i", yLabel: "wavelength (tokens)", yScale: "log", xScale: scales.xScale,
      vLines: [], width: 620,
    });
    note.textContent = "Pairs whose wavelength exceeds the trained length never completed a turn in training; the scaling schemes stretch them (dynamic and YaRN also change the attention factor, in brackets).";
    return;
  }
  let table: Float64Array | null = null;
  if (name === "alibi") table = alibiDistanceTable(alibiSlopes(heads), P);
  else if (name === "kerple") table = kerpleDistanceTable(kerpleInit(e.name.endsWith("power") || v.kernel === "power" ? "power" : "log", heads, 0), P);
  else if (name === "sandwich") table = sandwichDistanceTable(dModel, heads, P);
  else if (name === "fire") table = fireDistanceTable(fireInit(heads, 0, { width: num(v.hidden, 32), initC: num(v.initC, 0.1), initL: num(v.initL, 512), eps: num(v.eps, 1e-6) }), P);
  else if (name === "dynamic-bias") {
    const full = dynamicBiasTable(dynamicBiasInit(heads, 0, { width: num(v.hidden, Math.max(1, Math.floor(dModel / 4))), depth: num(v.depth, 2), logDistance: v.logDistance === true }), P);
    table = new Float64Array(heads * (P + 1)); // the causal half: query − key = k ≥ 0 is column P + k
    for (let hh = 0; hh < heads; hh++) for (let k = 0; k <= P; k++) table[hh * (P + 1) + k] = full[hh * (2 * P + 1) + P + k]!;
  }
  if (table) {
    const learned = name === "kerple" || name === "fire" || name === "dynamic-bias";
    a.update(perHead(table, heads, P), { title: `${e.name}: bias vs distance per head${learned ? " (learned; at initialisation, seed 0)" : ""}`, xLabel: "distance", yLabel: "bias", ...scales });
    const grid = new Float64Array(P * P);
    for (let i = 0; i < P; i++) for (let j = 0; j <= i; j++) grid[i * P + j] = table[i - j]!;
    for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) grid[i * P + j] = NaN;
    heatmapCanvas(hostB, `${e.name} head 1 bias (causal)`, grid, P, P, { x: "key", y: "query" });
    return;
  }
  if (name === "learned") {
    const rows = Math.min(P, num(v.tableSize, P));
    heatmapCanvas(hostA, "learned table at initialisation (seed 0, std 0.02; training shapes it)", learnedTableInit(rows, dModel, 0), rows, dModel, { x: "dimension", y: "position" });
    note.textContent = "A learned table has no rows past its size: positions beyond it are refused or clamped (beyondTable).";
    return;
  }
  if (name === "t5") {
    const opts = { numBuckets: num(v.numBuckets, 32), maxDistance: num(v.maxDistance, 128), bidirectional: v.bidirectional === true };
    const d = range(P * 4);
    a.update([{ name: "bucket", x: d, y: d.map((x) => relativePositionBucket(-x, opts)) }], { title: "t5: the bucket of each distance (the bias per bucket is learned)", xLabel: "distance", yLabel: "bucket", ...scales });
    return;
  }
  hostA.replaceChildren();
  note.textContent = e.family === "none"
    ? `${e.name} gives no position signal: attention sees order only through the causal mask. Nothing to draw; train one in the Train view to compare.`
    : `${e.name} is learned (${e.family}): it has no picture before training. Train a model with it in the Train view.`;
}
