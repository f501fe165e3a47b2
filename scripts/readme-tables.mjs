// Markdown tables for the README from a bench folder: `node scripts/readme-tables.mjs reports/<timestamp>`.
// results.json (the language-modelling bench): perplexity mean ± std over seeds per length, best in bold,
// "≈" where the comparison over the seeds (src/report/compare.ts; over the windows with one seed) cannot tell a
// method from the best; then the passkey (per-digit accuracy, exact match; † = not learned at L, not compared).
// task-results.json (`--suite tasks`): per-token accuracy (%) per band, mean ± std over seeds, best in bold, ≈ likewise.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/readme-tables.mjs REPORT_DIR");
  process.exit(2);
}
const f = (x, d = 2) => (x === null || x === undefined ? "-" : Number(x).toFixed(d));

if (existsSync(join(dir, "results.json"))) {
  const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  const best = new Map(r.best_per_length.map((b) => [b.length, new Set(b.methods)]));
  const old = r.schema === "extrapos.bench/1";
  if (old) console.log("(results.json of schema extrapos.bench/1: its ≈ marks come from the earlier paired t-test over the windows of the seed-averaged losses, which ignores the training noise)\n");
  const over = (units) => (old ? `paired t-test over the ${units}` : r.seeds.length > 1 ? "t-test over the seeds: Welch's, paired for evaluations of the same trained models" : `paired t-test over the ${units}; one seed, so evaluation sampling only`);
  console.log(`Perplexity (bytes), mean ± std over ${r.seeds.length} seed${r.seeds.length > 1 ? "s" : ""}; **bold** = lowest, ≈ = not significantly different from it (${over("windows")}, p ≥ 0.05). Command: \`${r.command}\`, wall time ${(r.wall_seconds / 60).toFixed(1)} min.\n`);
  console.log(`| method | ${r.eval_lens.join(" | ")} |`);
  console.log(`|---|${r.eval_lens.map(() => "---:").join("|")}|`);
  for (const m of r.methods) {
    const cells = r.eval_lens.map((n) => {
      const p = m.eval.find((e) => e.length === n);
      if (!p || p.ppl === null) return "-";
      const v = `${f(p.ppl)}${p.ppl_std !== null ? ` ± ${f(p.ppl_std)}` : ""}`;
      return best.get(n)?.has(m.name) ? `**${v}**` : p.tie_with_best ? `${v} ≈` : v;
    });
    console.log(`| ${m.name}${m.positions === "random" ? " (random positions)" : ""} | ${cells.join(" | ")} |`);
  }
  const pk = r.eval_lens.filter((n) => r.methods.some((m) => m.eval.some((e) => e.length === n && e.passkey_token_acc !== null && e.passkey_token_acc !== undefined)));
  if (pk.length) {
    const cell = (v, sd) => (v === null || v === undefined ? "-" : `${f(v)}${sd !== null && sd !== undefined ? ` ± ${f(sd)}` : ""}`);
    const t = r.config.train;
    console.log(`\nPasskey after fine-tuning at L = ${r.train_len} (${t.passkey_steps} steps × batch ${t.passkey_batch ?? t.batch}${t.passkey_curriculum ? `, distance curriculum over ${t.passkey_curriculum} of them` : ""}): fraction of the 5 key digits retrieved (chance 0.1), mean ± std over ${r.seeds.length} seeds; **bold** = highest, ≈ = not significantly different from it (${over("trials")}, p ≥ 0.05); exact match in brackets${old ? "" : "; † = not learned at L (below 0.75 of the digits at L, mean over seeds): its numbers beyond L do not measure extrapolation, and it is neither bold nor ≈"}:\n`);
    console.log(`| method | ${pk.join(" | ")} |`);
    console.log(`|---|${pk.map(() => "---:").join("|")}|`);
    for (const m of r.methods) {
      console.log(`| ${m.name}${m.passkey_learned === false ? " †" : ""} | ${pk.map((n) => {
        const p = m.eval.find((e) => e.length === n);
        if (!p) return "-";
        const v = cell(p.passkey_token_acc, p.passkey_token_acc_std), best = p.passkey_tie_with_best === true && p.passkey_p_vs_best === null;
        return `${best ? `**${v}**` : p.passkey_tie_with_best ? `${v} ≈` : v} (${f(p.passkey_acc)})`;
      }).join(" | ")} |`);
    }
  }
}

if (existsSync(join(dir, "task-results.json"))) {
  const r = JSON.parse(readFileSync(join(dir, "task-results.json"), "utf8"));
  // /5 = /4 + each band's comparison with the best; /3 had one training range (`plan.trainLengths`) for every task
  if (!["extrapos.tasks/3", "extrapos.tasks/4", "extrapos.tasks/5"].includes(r.schema)) throw new Error(`task-results.json: schema ${r.schema}, this script reads extrapos.tasks/3 to /5`);
  // each task has its own training lengths, hence its own bands: columns are relative to the longest training length B
  // bold = highest mean per task and band; ≈ = not significantly different from it (task-results.json's comparison;
  // files from before extrapos.tasks/5 have none: Welch's t-test from the stored means, stds and seed counts —
  // exactly the suite's test with ≥ 2 seeds, since Welch needs only those)
  const { welchFromSummary } = await import(new URL("../dist/eval/stats.js", import.meta.url).href);
  const stored = r.cells.some((c) => c.bands.some((b) => b.tie_with_best !== undefined));
  const nSeeds = r.plan.seeds.length;
  const how = stored ? (nSeeds > 1 ? "Welch's t-test over the seeds" : "one seed: paired t-test over the same examples, evaluation sampling only") : nSeeds > 1 ? `Welch's t-test over the seeds, computed by this script from the stored means and stds (${r.schema} predates the suite's own comparison)` : null;
  console.log(`\nPer-token accuracy (%) by input length, mean ± std over ${nSeeds} seeds; B = the task's longest training length${how ? `; **bold** = highest per task and band, ≈ = not significantly different from it (${how}, p ≥ 0.05)` : " (one seed and no stored comparison: no marks)"}. Command: \`${r.command}\`, wall time ${(r.wall_seconds / 60).toFixed(1)} min.\n`);
  console.log("| task (trained on) | method | training lengths | B+1 … 2B | 2B+1 … 4B | 4B+1 … 8B |");
  console.log("|---|---|---:|---:|---:|---:|");
  const mark = (c, i) => {
    const ok = r.cells.filter((x) => x.task === c.task && x.status === "ok" && x.bands[i]);
    const b = c.bands[i], top = Math.max(...ok.map((x) => x.bands[i].token_accuracy));
    if (b.token_accuracy >= top - 1e-12) return "best";
    if (stored) return b.tie_with_best ? "tie" : "";
    if (nSeeds < 2) return "";
    const best = ok.find((x) => x.bands[i].token_accuracy >= top - 1e-12).bands[i];
    if (b.n_seeds < 2 || best.n_seeds < 2) return "";
    return welchFromSummary(b.token_accuracy, b.token_accuracy_std, b.n_seeds, best.token_accuracy, best.token_accuracy_std, best.n_seeds).p >= 0.05 ? "tie" : "";
  };
  for (const c of r.cells) {
    const [lo, hi] = r.plan.train[c.task].lengths ?? r.plan.trainLengths;
    const task = `${c.task} (${lo === hi ? hi : `${lo}–${hi}`})`;
    if (c.status !== "ok") { console.log(`| ${task} | ${c.method} | ${c.status}: ${c.errors.join("; ")} |`); continue; }
    console.log(`| ${task} | ${c.method} | ${c.bands.map((b, i) => {
      const v = `${(100 * b.token_accuracy).toFixed(1)}${b.token_accuracy_std !== null ? ` ± ${(100 * b.token_accuracy_std).toFixed(1)}` : ""}`, m = mark(c, i);
      return m === "best" ? `**${v}**` : m === "tie" ? `${v} ≈` : v;
    }).join(" | ")} |`);
  }
}
