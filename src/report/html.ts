/**
 * index.html: the whole report in one self-contained file (opens from disk with no network): CSS in a
 * <style> element, every SVG inlined (without its XML declaration and namespace URL), no scripts, no
 * external fonts, images, links or `url(...)`.
 *
 * Example: `writeFileAtomic("index.html", reportHtml(results, figures))`.
 */
import { escapeXml } from "./svg.js";
import { formatPpl, type BenchResults, type MethodResult } from "./results.js";
import { PASSKEY_LEARNED_AT_L, testLabel } from "./compare.js";
import type { Figure } from "./figures.js";

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1240px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; max-width: 100%; }
td, th, code { overflow-wrap: anywhere; word-break: break-word; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.best { background: #d8f0d8; font-weight: bold; }
td.tie { background: #eef7ee; } tr.unlearned td { color: #777; }
td .ci { display: block; font-size: 0.78em; color: #666; font-weight: normal; }
tr.failed td, tr.pending td { color: #a00; }
td.error { text-align: left; font-family: monospace; white-space: pre-wrap; }
figure { margin: 1.2em 0; } figcaption { font-size: 0.9em; color: #444; max-width: 1160px; }
svg { max-width: 100%; height: auto; }
pre { background: #f5f5f5; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
.grid { display: flex; flex-wrap: wrap; gap: 1em; } .grid figure { width: 600px; margin: 0.6em 0; }
.muted { color: #666; font-size: 0.9em; }
`;

const e = (s: string | number): string => escapeXml(String(s));

/** An SVG document as an inline element: no XML declaration, no namespace URL (HTML does not need it). */
export function inlineSvg(svg: string): string {
  return svg.replace(/<\?xml[^>]*\?>\s*/, "").replace(/\s+xmlns="[^"]*"/g, "");
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return "-";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s - 60 * m)} s` : `${s.toFixed(1)} s`;
}

function num(x: number | null, digits = 3): string {
  return x === null ? "-" : Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function failedRow(m: MethodResult, cols: number): string {
  const text = m.status === "pending" ? "not run yet (resume the bench to finish it)" : m.errors.join("\n");
  return `<tr class="${m.status}"><td>${e(m.name)}</td><td class="error" colspan="${cols}">${e(m.status.toUpperCase())}: ${e(text)}</td></tr>`;
}

/** The perplexity table; the best method at each length has class "best". */
export function perplexityTable(r: BenchResults): string {
  const best = new Map(r.best_per_length.map((b) => [b.length, new Set(b.methods)]));
  const head = `<tr><th>method</th>${r.eval_lens.map((n) => `<th>ppl @ ${n}${n === r.train_len ? " (L)" : ` (${+(n / r.train_len).toFixed(2)}L)`}</th>`).join("")}</tr>`;
  const rows = r.methods.map((m) => {
    if (m.status === "failed" || m.status === "pending") return failedRow(m, r.eval_lens.length);
    const cells = r.eval_lens.map((n) => {
      const isBest = best.get(n)?.has(m.name) === true;
      const p = m.eval.find((q) => q.length === n);
      const tie = !isBest && p?.tie_with_best === true;
      const ci = p?.ppl_ci95 ? `<span class="ci">[${p.ppl_ci95[0].toFixed(2)}, ${p.ppl_ci95[1].toFixed(2)}]</span>` : "";
      const title = p?.p_vs_best != null ? ` title="${e(testLabel(p.test_vs_best, "windows"))} against the top method: p = ${p.p_vs_best.toPrecision(2)}"` : "";
      return `<td${isBest ? ' class="best"' : tie ? ' class="tie"' : ""}${title}>${e(formatPpl(p))}${tie ? " ≈" : ""}${ci}</td>`;
    });
    const note = m.status === "partial" ? ` <span class="muted">(${e(m.errors.join("; "))})</span>` : "";
    return `<tr><td>${e(m.name)}${note}</td>${cells.join("")}</tr>`;
  });
  return `<table class="results">${head}${rows.join("")}</table>`;
}

function passkeyTable(r: BenchResults): string {
  const ms = r.methods.filter((m) => m.eval.some((p) => p.passkey_acc !== null || p.passkey_token_acc !== null));
  if (ms.length === 0) return `<p class="muted">Passkey retrieval was not measured.</p>`;
  const lens = r.eval_lens.filter((n) => ms.some((m) => m.eval.some((p) => p.length === n && (p.passkey_acc !== null || p.passkey_token_acc !== null))));
  const head = `<tr><th>method</th>${lens.map((n) => `<th>${n}</th>`).join("")}</tr>`;
  const cell = (v: number | null, sd: number | null, digits: number) => (v === null ? "-" : `${num(v, digits)}${sd !== null ? `±${num(sd, digits)}` : ""}`);
  const rows = ms.map((m) => {
    const at = (n: number) => m.eval.find((p) => p.length === n);
    // one cell per length: digits retrieved (± std over seeds; best highlighted, ≈ when the paired test cannot tell it from the best), its interval, then exact match
    return `<tr${m.passkey_learned === false ? ' class="unlearned"' : ""}><td>${e(m.name)}${m.passkey_learned === false ? " †" : ""}</td>${lens.map((n) => {
      const p = at(n);
      const best = p?.passkey_tie_with_best === true && p.passkey_p_vs_best === null, tie = p?.passkey_tie_with_best === true && !best;
      const ci = p?.passkey_token_acc_ci95 ? `<span class="ci">[${p.passkey_token_acc_ci95[0].toFixed(2)}, ${p.passkey_token_acc_ci95[1].toFixed(2)}]</span>` : "";
      const title = p?.passkey_p_vs_best != null ? ` title="${e(testLabel(p.passkey_test_vs_best, "trials"))} against the top method: p = ${p.passkey_p_vs_best.toPrecision(2)}"` : "";
      return `<td${best ? ' class="best"' : tie ? ' class="tie"' : ""}${title}>${cell(p?.passkey_token_acc ?? null, p?.passkey_token_acc_std ?? null, 2)}${tie ? " ≈" : ""}${ci || "<br>"}<span class="muted">exact ${cell(p?.passkey_acc ?? null, p?.passkey_acc_std ?? null, 2)}</span></td>`;
    }).join("")}</tr>`;
  });
  return `<table class="results">${head}${rows.join("")}</table>
<p class="muted">The mixed passkey (a key hidden in held-out text, asked at the end), asked of a copy of each model fine-tuned on that form at L. Per context length: the fraction of the 5 key digits predicted right (chance 0.1)${r.seeds.length > 1 ? `, mean ± std over ${r.seeds.length} seeds` : ""}, its 95 % interval (bootstrap over the trials${r.seeds.length > 1 ? " of all seeds" : ""}), and below it the exact match (all 5 right). The best method at each length is highlighted; <b>≈</b> marks a method whose difference from it is not significant (${e(r.seeds.length > 1 ? "t-test over the seeds' accuracies: Welch's, paired for evaluations of the same trained models" : "paired t-test over the same trials; one seed, so evaluation sampling only")}, p ≥ 0.05). <b>†</b> = not learned at L: per-digit accuracy at L below ${PASSKEY_LEARNED_AT_L} (mean over seeds); its numbers beyond L do not measure extrapolation, and it is not compared. Trials per length: keys at depths spread evenly from the start to the end of the context.</p>`;
}

function trainingTable(r: BenchResults): string {
  const head = "<tr><th>method (seed)</th><th>steps</th><th>final train loss</th><th>final valid loss</th><th>tokens/s</th><th>training time</th></tr>";
  const rows = r.methods.filter((m) => m.kind === "trained").flatMap((m) => m.seeds.filter((s) => s.train).map((s) => {
    const t = s.train!;
    return `<tr><td>${e(m.name)} (${s.seed})</td><td>${t.steps}</td><td>${num(t.final_train_loss)}</td><td>${num(t.final_valid_loss)}</td><td>${Math.round(t.tokens_per_second)}</td><td>${e(duration(t.wall_seconds))}</td></tr>`;
  }));
  return `<table>${head}${rows.join("")}</table>`;
}

function keyValueTable(o: Record<string, unknown>): string {
  const rows = Object.entries(o).map(([k, v]) => `<tr><td>${e(k)}</td><td style="text-align:left">${e(typeof v === "string" ? v : JSON.stringify(v))}</td></tr>`);
  return `<table>${rows.join("")}</table>`;
}

function figureHtml(f: Figure): string {
  return `<figure>${inlineSvg(f.svg)}<figcaption><b>${e(f.title)}</b> (${e(f.file)}). ${e(f.caption)}</figcaption></figure>`;
}

function noFigure(r: BenchResults, encodings: Figure[]): string {
  const drawn = new Set(encodings.map((f) => f.title));
  const missing = r.methods.filter((m) => !drawn.has(m.name)).map((m) => m.name);
  return missing.length ? `<p class="muted">No fixed encoding to draw for: ${e(missing.join(", "))} (a learned table, or no positional encoding).</p>` : "";
}

function methodsTable(r: BenchResults): string {
  const rows = r.methods.map((m) => `<tr><td>${e(m.name)}</td><td style="text-align:left">${e(m.summary)}</td><td style="text-align:left"><code>${e(JSON.stringify(m.model))}</code></td></tr>`);
  return `<table><tr><th>method</th><th>what it is</th><th>model config</th></tr>${rows.join("")}</table>`;
}

function randomNote(r: BenchResults): string {
  const rnd = r.methods.filter((m) => m.positions === "random").map((m) => m.name);
  return rnd.length ? `${e(rnd.join(", "))}: evaluated as in Ruoss et al.'s reference, with fresh sorted random positions at every call (3 draws averaged). ` : "";
}

/** The complete index.html. */
export function reportHtml(r: BenchResults, figures: { results: Figure[]; encodings: Figure[] }): string {
  const count = (s: MethodResult["status"]) => r.methods.filter((m) => m.status === s).length;
  const status = `${count("ok")} of ${r.methods.length} methods finished` + (count("partial") ? `, ${count("partial")} partly` : "") + (count("failed") ? `, ${count("failed")} failed` : "") + (count("pending") ? `, ${count("pending")} not run yet` : "");
  const lens = r.eval_lens.join(", ");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>extrapos bench: train short, test long (L = ${r.train_len})</title>
<style>${CSS}</style></head>
<body>
<h1>Train short, test long: ${r.methods.length} positional encodings</h1>
<p>Every model was trained at length <b>L = ${r.train_len}</b> and evaluated at ${e(lens)} (non-overlapping windows).
Preset <b>${e(r.preset)}</b>, seeds ${e(r.seeds.join(", "))}, wall time ${e(duration(r.wall_seconds))}. ${e(status)}.</p>
<p class="muted">Command: <code>${e(r.command)}</code> · generated ${e(r.generated)}</p>
<h2>Results</h2>
${perplexityTable(r)}
<p class="muted">Perplexity per token (lower is better)${r.seeds.length > 1 ? `, mean ± std over ${r.seeds.length} seeds` : ", one seed"}; below each value its 95 % interval (bootstrap over the evaluation windows${r.seeds.length > 1 ? ", seed-averaged" : ""}). The best method at each length is highlighted; <b>≈</b> marks a method whose difference from the best is not significant (${e(r.seeds.length > 1 ? "t-test over the seeds' mean losses: Welch's, paired for evaluations of the same trained models" : "paired t-test over the same windows; one seed, so evaluation sampling only: the training noise is not tested")}, p ≥ 0.05). ${randomNote(r)}Raw numbers: results.json, results.csv.</p>
${figures.results.map(figureHtml).join("\n")}
<h2>Passkey retrieval</h2>
${passkeyTable(r)}
<h2>Training</h2>
${trainingTable(r)}
<p class="muted">Per-run TensorBoard event files are in runs/&lt;method&gt;-s&lt;seed&gt;/: <code>tensorboard --logdir ${e("<this folder>")}</code> shows every model side by side.</p>
<h2>The encodings</h2>
<p class="muted">Each encoding as the models use it — learnable ones (T5, KERPLE, FIRE, the learned table) as trained, from the first seed's checkpoint, first layer, when it is available; the heatmap over positions or heads and distance, and the bias or attention score vs relative distance.</p>
<div class="grid">${figures.encodings.map(figureHtml).join("\n")}</div>
${noFigure(r, figures.encodings)}
<h2>Methods</h2>
${methodsTable(r)}
<h2>Configuration</h2>
${keyValueTable(r.config)}
<h2>Software and machine</h2>
${keyValueTable({ ...r.versions, git_commit: r.git?.commit ?? "unknown (not run from a git checkout)", ...(r.git?.dirty ? { git_dirty: "yes: tracked files differed from the commit" } : {}), ...r.machine })}
</body></html>
`;
}
