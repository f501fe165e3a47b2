// Recompute a bench folder's results.json with the current code from its state.json — no training, no
// evaluation: e.g. to apply a new comparison (src/report/compare.ts) to an existing run.
//   node scripts/rerender-results.mjs BENCH_DIR OUT_DIR [--methods a,b,c]
// writes OUT_DIR/results.json (atomically; BENCH_DIR is not touched). --methods keeps only those methods (the
// best and the ≈ marks are then among them, as a table that shows only them needs). Then
// `node scripts/readme-tables.mjs OUT_DIR` prints the README tables. Needs `npm run build`.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).href;
const [dir, out, flag, list] = process.argv.slice(2);
if (!dir || !out || (flag !== undefined && (flag !== "--methods" || !list))) {
  console.error("usage: node scripts/rerender-results.mjs BENCH_DIR OUT_DIR [--methods a,b,c]");
  process.exit(2);
}
const { loadState } = await import(`${dist}report/state.js`);
const { buildResults, resultsJson } = await import(`${dist}report/results.js`);
const { writeFileAtomic } = await import(`${dist}data/atomic-write.js`);
const old = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
const state = loadState(dir);
if (list) {
  const keep = list.split(",");
  const unknown = keep.filter((m) => !state.plan.methods.includes(m));
  if (unknown.length) {
    console.error(`--methods: ${unknown.join(", ")} not in this bench (it has ${state.plan.methods.join(", ")})`);
    process.exit(2);
  }
  state.plan.methods = state.plan.methods.filter((m) => keep.includes(m));
}
// the run's own environment, time and wall time; only the derived statistics are new
const r = buildResults(state, { versions: old.versions, machine: old.machine }, new Date(old.generated));
r.wall_seconds = old.wall_seconds;
mkdirSync(out, { recursive: true });
writeFileAtomic(join(out, "results.json"), resultsJson(r));
console.error(`${join(out, "results.json")}: ${r.methods.length} methods, ${r.seeds.length} seed(s), schema ${r.schema}`);
