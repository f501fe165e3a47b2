/**
 * scripts/readme-tables.mjs on small report folders: the bench's ≈ and † marks as stored in results.json, and the
 * task table's bold/≈ — stored (extrapos.tasks/5) or, for older files, Welch from the stored means, stds and
 * seed counts. Expected p-values: Welch by hand (t, Welch–Satterthwaite df) and src/eval/stats.ts's tail, which
 * stats.test.ts checks against mpmath.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

function tables(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-readme-"));
  try {
    for (const [name, v] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(v));
    const r = spawnSync(process.execPath, [join(root, "scripts", "readme-tables.mjs"), dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const point = (length: number, ppl: number, tie: boolean | null, pk: number, pkTie: boolean | null, pkP: number | null) => ({
  length, ppl, ppl_std: 0.1, tie_with_best: tie, p_vs_best: tie === null ? null : 0.2, test_vs_best: "welch-seeds",
  passkey_acc: 0, passkey_token_acc: pk, passkey_token_acc_std: 0.01, passkey_tie_with_best: pkTie, passkey_p_vs_best: pkP,
});

test("readme-tables, bench: bold/≈ as stored, † for a method that did not learn the passkey at L (no bold, no ≈)", () => {
  const out = tables({
    "results.json": {
      schema: "extrapos.bench/2", train_len: 8, eval_lens: [8, 16], seeds: [0, 1, 2], command: "extrapos bench --seeds 3", wall_seconds: 60,
      config: { train: { passkey_steps: 10, passkey_batch: 8, passkey_curriculum: 0.5 } },
      best_per_length: [{ length: 8, methods: ["a"] }, { length: 16, methods: ["a"] }],
      methods: [
        { name: "a", positions: "plain", passkey_learned: true, eval: [point(8, 5, true, 0.9, true, null), point(16, 6, true, 0.5, true, null)] },
        { name: "b", positions: "plain", passkey_learned: false, eval: [point(8, 5.1, true, 0.5, null, null), point(16, 9, false, 0.6, null, null)] },
      ],
    },
  });
  assert.match(out, /Welch's, paired for evaluations of the same trained models/);
  assert.match(out, /\| a \| \*\*5\.00 ± 0\.10\*\* \| \*\*6\.00 ± 0\.10\*\* \|/);
  assert.match(out, /\| b \| 5\.10 ± 0\.10 ≈ \| 9\.00 ± 0\.10 \|/);
  assert.match(out, /\| a \| \*\*0\.90 ± 0\.01\*\* \(0\.00\) \| \*\*0\.50 ± 0\.01\*\* \(0\.00\) \|/);
  assert.match(out, /\| b † \| 0\.50 ± 0\.01 \(0\.00\) \| 0\.60 ± 0\.01 \(0\.00\) \|/, "higher than the best at 16 but not learned at L: no bold");
});

test("readme-tables, tasks before /5: bold = highest per band, ≈ from Welch on the stored means/stds (3 seeds)", () => {
  const band = (acc: number, std: number) => ({ band: [2, 12], token_accuracy: acc, token_accuracy_std: std, n_seeds: 3 });
  const out = tables({
    "task-results.json": {
      schema: "extrapos.tasks/3", command: "extrapos bench --suite tasks", wall_seconds: 600,
      plan: { seeds: [0, 1, 2], trainLengths: [2, 12], train: { copy: {} } },
      cells: [
        { task: "copy", method: "a", status: "ok", bands: [band(0.5, 0.1)] },
        // vs a: t = 0.1/√(0.01/3 + 0.0025/3) = 1.549, df = 2.94 → p = 0.2209 (mpmath): ≈
        { task: "copy", method: "b", status: "ok", bands: [band(0.4, 0.05)] },
        // vs a: t = 0.4/√(0.01/3 + 0.0001/3) = 6.89, df = 2.04 → p = 0.0194 (mpmath): no mark
        { task: "copy", method: "c", status: "ok", bands: [band(0.1, 0.01)] },
      ],
    },
  });
  assert.match(out, /computed by this script from the stored means and stds/);
  assert.match(out, /\| copy \(2–12\) \| a \| \*\*50\.0 ± 10\.0\*\* \|/);
  assert.match(out, /\| copy \(2–12\) \| b \| 40\.0 ± 5\.0 ≈ \|/);
  assert.match(out, /\| copy \(2–12\) \| c \| 10\.0 ± 1\.0 \|/);
});

test("readme-tables, tasks /5: the stored comparison is used as is", () => {
  const band = (acc: number, tie: boolean | null) => ({ band: [2, 12], token_accuracy: acc, token_accuracy_std: null, n_seeds: 1, p_vs_best: tie === null ? null : 0.5, test_vs_best: tie === null ? null : "paired-units", tie_with_best: tie });
  const out = tables({
    "task-results.json": {
      schema: "extrapos.tasks/5", command: "x", wall_seconds: 1, plan: { seeds: [0], train: { copy: { lengths: [2, 12] } } },
      cells: [{ task: "copy", method: "a", status: "ok", bands: [band(0.5, true)] }, { task: "copy", method: "b", status: "ok", bands: [band(0.45, true)] }, { task: "copy", method: "c", status: "ok", bands: [band(0.2, false)] }],
    },
  });
  assert.match(out, /one seed: paired t-test over the same examples/);
  assert.match(out, /\| copy \(2–12\) \| b \| 45\.0 ≈ \|/);
  assert.match(out, /\| copy \(2–12\) \| c \| 20\.0 \|/);
});
