// The README's language-modelling figures from a bench folder's results.json, drawn by the report's own figure code
// (dist/report/figures.js: build first):
//   node scripts/readme-figures.mjs REPORT_DIR [--methods a,b,…] [--figures perplexity,loss-by-position,passkey] [--out docs/figures]
// writes default-preset-<figure>.svg for each figure (default: all three); --methods keeps only those methods
// (e.g. the ones of a README table). No training or evaluation is run.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lossByPositionFigure, passkeyFigure, perplexityFigure } from "../dist/report/figures.js";

const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const dir = args[0];
if (!dir || dir.startsWith("--")) {
  console.error("usage: node scripts/readme-figures.mjs REPORT_DIR [--methods a,b,…] [--figures perplexity,loss-by-position,passkey] [--out docs/figures]");
  process.exit(2);
}
const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
const keep = opt("methods")?.split(",");
if (keep) {
  const unknown = keep.filter((m) => !r.methods.some((x) => x.name === m));
  if (unknown.length) { console.error(`readme-figures: --methods names ${unknown.join(", ")}, not in ${dir}/results.json`); process.exit(2); }
  r.methods = r.methods.filter((m) => keep.includes(m.name));
}
const out = opt("out") ?? "docs/figures";
const draw = { perplexity: perplexityFigure, "loss-by-position": lossByPositionFigure, passkey: passkeyFigure };
const names = opt("figures")?.split(",") ?? Object.keys(draw);
const unknownFig = names.filter((n) => !(n in draw));
if (unknownFig.length) { console.error(`readme-figures: --figures must name figures of ${Object.keys(draw).join(", ")}, got ${unknownFig.join(", ")}`); process.exit(2); }
for (const [name, fig] of names.map((n) => [n, draw[n](r)])) {
  if (!fig) { console.log(`${name}: no data in ${dir}, left alone`); continue; }
  const file = join(out, `default-preset-${name}.svg`);
  writeFileSync(`${file}.tmp`, fig.svg);
  renameSync(`${file}.tmp`, file);
  console.log(`${file}: ${r.methods.length} methods, ${r.seeds.length} seed(s) — ${fig.caption}`);
}
