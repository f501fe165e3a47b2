/**
 * The lab page: four views (Encodings, Train, Runs and reports, Generate) switched by the URL hash,
 * a notice when the page is not cross-origin isolated (the engine then runs single-threaded), and
 * the worker that runs every model (worker.ts). Built by scripts/build.mjs into dist/lab/static;
 * served by `extrapos lab`.
 */
import { listen, startWorker } from "./client.js";
import { $ } from "./dom.js";
import { mountEncodings } from "./encodings.js";
import { mountGenerate } from "./generate.js";
import { mountRuns } from "./runs.js";
import { mountTrain } from "./train.js";

const VIEWS = ["encodings", "train", "runs", "generate"] as const;

function show(): void {
  const name = (location.hash.slice(1).split("?")[0] || "encodings") as (typeof VIEWS)[number];
  const view = VIEWS.includes(name) ? name : "encodings";
  for (const v of VIEWS) {
    $(`view-${v}`).hidden = v !== view;
    $(`tab-${v}`).classList.toggle("active", v === view);
  }
}

let sampleText: Promise<string> | undefined;
const sample = (): Promise<string> => (sampleText ??= fetch("./brown-sample.txt").then((r) => {
  if (!r.ok) throw new Error(`brown-sample.txt: HTTP ${r.status}`);
  return r.text();
}));

const notice = $("notice");
if (globalThis.crossOriginIsolated !== true) {
  notice.textContent = "This page is not cross-origin isolated (no COOP/COEP headers): the engine runs single-threaded. Serve it with `extrapos lab` or see docs/browser.md for the two headers.";
  notice.className = "notice warn";
}
listen((m) => {
  if (m.type === "ready") {
    $("engine").textContent = `engine: ${m.threads} thread${m.threads === 1 ? "" : "s"}, ${m.memory} memory, ${m.fma ? "FMA" : "no FMA"}`;
    document.body.dataset.ready = "1";
  } else if (m.type === "error" && m.id === "") {
    notice.textContent = `the engine failed to start: ${m.message}`;
    notice.className = "notice error";
  }
});
startWorker();
mountEncodings();
mountTrain(sample);
mountRuns(sample);
mountGenerate();
window.addEventListener("hashchange", show);
show();
