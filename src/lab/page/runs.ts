/**
 * The Runs and reports view: drop a checkpoint (model.safetensors, with or without its run's
 * config.json) to load it — its config, size, and perplexity vs length on the Brown sample computed
 * here — or a report's results.json to explore it: methods toggled by clicking the legend, log axes,
 * values on hover. With `extrapos lab --runs DIR`, the runs in DIR are listed and open with one click.
 */
import { LineChart } from "./chart.js";
import { addModel, listen, send } from "./client.js";
import { $, errorText, field, h, onFiles } from "./dom.js";

interface Results { schema?: string; train_len?: number; methods?: { name: string; eval?: { length: number; ppl: number }[] }[] }

export function mountRuns(sample: () => Promise<string>): void {
  const input = h("input", { type: "file", multiple: "", accept: ".safetensors,.json", hidden: "", id: "runs-input" });
  const zone = h("div", { class: "drop", id: "runs-drop" }, "Drop model.safetensors (and its config.json), or a report's results.json — or ", h("label", { class: "link" }, "choose files", input));
  const logX = h("input", { type: "checkbox", checked: "" }), logY = h("input", { type: "checkbox" });
  const info = h("div", { id: "runs-info" });
  const host = h("div", { class: "chart-host", id: "runs-chart" });
  const served = h("div", { id: "runs-served" });
  $("view-runs").append(zone, h("div", { class: "row" }, field("log x", logX), field("log y", logY)), info, host, served);
  const chart = new LineChart(host, { title: "perplexity vs evaluation length", xLabel: "evaluation length", yLabel: "perplexity", xScale: "log" });
  let series: { name: string; x: number[]; y: number[] }[] = [];
  let trainLen = 0;
  const redraw = (): void => chart.update(series, { xScale: logX.checked ? "log" : "linear", yScale: logY.checked ? "log" : "linear", vLines: trainLen ? [{ x: trainLen, label: "training length" }] : [] });
  logX.addEventListener("change", redraw);
  logY.addEventListener("change", redraw);
  const showResults = (name: string, r: Results): void => {
    if (!Array.isArray(r.methods)) throw new Error(`${name} has no \`methods\` list: not a report's results.json`);
    trainLen = r.train_len ?? 0;
    series = r.methods.filter((m) => m.eval && m.eval.length).map((m) => ({ name: m.name, x: m.eval!.map((e) => e.length), y: m.eval!.map((e) => e.ppl) }));
    info.replaceChildren(h("p", { class: "about" }, `${name}: ${series.length} methods, trained at ${trainLen}. Click a legend entry to hide or show it.`));
    redraw();
  };
  const loadModel = (name: string, bytes: Uint8Array): void => {
    const id = `${name.replace(/\W+/g, "-")}-${Date.now().toString(36)}`;
    info.replaceChildren(h("p", { class: "status" }, `loading ${name}…`));
    send({ type: "load", id, name, bytes }, [bytes.buffer]);
    pending.add(id);
  };
  const pending = new Set<string>();
  listen((m) => {
    if (!("id" in m) || !pending.has(m.id)) return;
    if (m.type === "loaded") {
      addModel(m.id, `${m.id} (dropped, step ${m.step})`, m.config);
      const rows = Object.entries(m.config).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v))));
      info.replaceChildren(h("p", { class: "about" }, `${m.id}: step ${m.step}, ${m.params.toLocaleString("en-US")} parameters; evaluating on the Brown sample…`), h("table", { class: "config" }, ...rows));
      const L = Number(m.config.context_length) || 64;
      trainLen = L;
      void sample().then((text) => send({ type: "eval", id: m.id, lengths: [L, 2 * L, 4 * L, 8 * L], text: text.slice(-200_000) }));
    } else if (m.type === "evaluated") {
      series = [...series.filter((s) => s.name !== m.id), { name: m.id, x: m.result.lengths, y: m.result.ppl }];
      redraw();
      pending.delete(m.id);
    } else if (m.type === "error") {
      info.append(h("p", { class: "error" }, m.message));
      pending.delete(m.id);
    }
  });
  onFiles(zone, input, (files) => void (async () => {
    for (const f of files) {
      try {
        if (f.name.endsWith(".safetensors")) loadModel(f.name, new Uint8Array(await f.arrayBuffer()));
        else {
          const j = JSON.parse(await f.text()) as Results & { format?: string };
          if (j.format === "extrapos-run") info.append(h("p", { class: "about" }, `${f.name}: a run's config (the checkpoint carries its own)`));
          else showResults(f.name, j);
        }
      } catch (e) {
        info.replaceChildren(h("p", { class: "error" }, `${f.name}: ${errorText(e)}`));
      }
    }
  })());
  void fetch("./runs/").then(async (r) => {
    if (!r.ok) return;
    const list = (await r.json()) as { name: string; files: string[] }[];
    if (list.length === 0) return;
    served.replaceChildren(h("h3", {}, "Runs served by extrapos lab --runs"), ...list.map((run) => {
      const b = h("button", {}, `open ${run.name}`);
      b.disabled = !run.files.includes("model.safetensors");
      b.addEventListener("click", async () => loadModel(`${run.name}/model.safetensors`, new Uint8Array(await (await fetch(`./runs/${run.name}/model.safetensors`)).arrayBuffer())));
      return h("div", { class: "row" }, b, h("span", {}, run.files.join(", ")));
    }));
  }).catch(() => undefined);
}
