// The test app's page script: shows whether the page is cross-origin isolated, runs the job in a
// worker (2 threads when isolated, else the single-threaded fallback) and publishes the result.
const out = document.getElementById("out");
const isolated = globalThis.crossOriginIsolated === true;
const notice = document.getElementById("notice");
notice.textContent = isolated ? "cross-origin isolated: 2 threads" : "Not cross-origin isolated: running single-threaded (serve with COOP/COEP for threads)";
const text = await (await fetch("./text.txt")).text();
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onerror = (ev) => { window.__result = { type: "error", message: ev.message || "worker failed to load" }; };
worker.onmessage = (ev) => {
  if (ev.data.type === "step") out.textContent = `step ${ev.data.step}: loss ${ev.data.loss.toFixed(4)}`;
  else { window.__result = ev.data; out.textContent = JSON.stringify(ev.data); }
};
worker.postMessage({ text, threads: isolated ? 2 : 1, kill: location.search === "?kill" });
