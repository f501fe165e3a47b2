// Merge benches of the same plan that ran different methods into one folder's state.json and results.json —
// no training, no evaluation: e.g. methods added to a finished 3-seed run, or one method re-run after a fix.
//   node scripts/merge-bench.mjs OUT_DIR BASE_DIR ADD_DIR [ADD_DIR …]
// Every ADD_DIR's methods replace the same methods of BASE_DIR (all their seeds' runs and evaluations) or are
// added; the plans must be equal except for `methods`, `threads`, `jobs` and the time `budget` (none of them changes a
// number; preset, seeds, lengths, model, training,
// evaluation, data), else it refuses naming the field. Methods are listed in the bench's order
// (BENCH_METHOD_NAMES). OUT_DIR gets state.json and results.json (atomically; the inputs are not touched), whose
// `command` names every part; `node scripts/readme-tables.mjs OUT_DIR` then prints the README tables from it.
// Needs `npm run build`.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).href;
const [out, base, ...adds] = process.argv.slice(2);
if (!out || !base || adds.length === 0) {
  console.error("usage: node scripts/merge-bench.mjs OUT_DIR BASE_DIR ADD_DIR [ADD_DIR …]");
  process.exit(2);
}
const { loadState, saveState } = await import(`${dist}report/state.js`);
const { planToJson } = await import(`${dist}report/plan.js`);
const { BENCH_METHOD_NAMES } = await import(`${dist}report/presets.js`);
const { buildResults, resultsCsv, resultsJson } = await import(`${dist}report/results.js`);
const { writeFileAtomic } = await import(`${dist}data/atomic-write.js`);

const fail = (msg) => { console.error(`merge-bench: ${msg}`); process.exit(2); };
const comparable = (plan) => { const j = planToJson(plan); delete j.methods; delete j.threads; delete j.jobs; delete j.budget; return j; };
const baseState = loadState(base);
const baseResults = JSON.parse(readFileSync(join(base, "results.json"), "utf8"));
const basePlan = JSON.stringify(comparable(baseState.plan));
const merged = { ...baseState, runs: { ...baseState.runs }, jobs: { ...baseState.jobs }, sessions: [...baseState.sessions] };
const commands = [baseState.command];
let wall = baseResults.wall_seconds ?? 0;
for (const dir of adds) {
  const s = loadState(dir);
  const a = comparable(s.plan), b = JSON.parse(basePlan);
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) fail(`${dir}: plan field \`${k}\` differs from ${base}'s (${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}); only methods, threads, jobs and budget may differ`);
  }
  const owned = (id) => s.plan.methods.some((m) => id.startsWith(`${m}-s`) && /^\d+$/.test(id.slice(m.length + 2)));
  for (const rec of [merged.runs, merged.jobs]) for (const id of Object.keys(rec)) if (owned(id)) delete rec[id];
  for (const [id, r] of Object.entries(s.runs)) merged.runs[id] = r;
  for (const [id, j] of Object.entries(s.jobs)) merged.jobs[id] = j;
  merged.sessions.push(...s.sessions);
  commands.push(s.command);
  wall += JSON.parse(readFileSync(join(dir, "results.json"), "utf8")).wall_seconds ?? 0;
  merged.plan = { ...merged.plan, methods: BENCH_METHOD_NAMES.filter((m) => merged.plan.methods.includes(m) || s.plan.methods.includes(m)) };
}
const MERGED = "merged (scripts/merge-bench.mjs): ";
merged.command = MERGED + commands.map((c) => (c.startsWith(MERGED) ? c.slice(MERGED.length) : c)).join(" + "); // a merge of a merge: one prefix
mkdirSync(out, { recursive: true });
saveState(out, merged);
const r = buildResults(merged, { versions: baseResults.versions, machine: baseResults.machine }, new Date(baseResults.generated));
r.wall_seconds = wall;
writeFileAtomic(join(out, "results.json"), resultsJson(r));
writeFileAtomic(join(out, "results.csv"), resultsCsv(r));
console.error(`${join(out, "results.json")}: ${r.methods.length} methods, ${r.seeds.length} seed(s), schema ${r.schema}; ${merged.command}`);
