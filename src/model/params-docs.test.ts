// docs/checkpoints.md holds the encodings' checkpoint tensors exactly as the registry's specs declare them
// (src/pe/<encoding>.ts `tensors`, turned into names by paramTable): regenerate the table from the failure message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ENCODING_ALIASES, ENCODING_NAMES } from "../pe/encodings.js";
import { parseModelConfig } from "./config.js";
import { encodingTensors, paramTable } from "./params.js";

const DOCS = new URL("../../docs/checkpoints.md", import.meta.url);
/** The documented example model. */
export const DOC_MODEL = { d_model: 64, n_heads: 4, n_layers: 2, context_length: 64 } as const;

function initText(i: { kind: string; std?: number; low?: number; high?: number; value?: number }): string {
  return i.kind === "normal" ? `N(0, ${i.std}²)` : i.kind === "uniform" ? `U(${i.low}, ${i.high})` : `${i.value}`;
}

export function encodingTensorTable(): string {
  const rows: string[] = [];
  // each encoding with its defaults, then the aliases that imply other parameters (kerple-power)
  const variants: [string, string][] = [
    ...ENCODING_NAMES.map((n): [string, string] => [n, `\`${n}\``]),
    ...[...ENCODING_ALIASES].map(([a, [n, p]]): [string, string] => [a, `\`${n}\` ${Object.entries(p).map(([k, v]) => `${k} ${String(v)}`).join(", ")}`]),
  ];
  const seen = new Set<string>();
  for (const [pe, label] of variants) {
    const cfg = parseModelConfig({ ...DOC_MODEL, pe });
    const key = JSON.stringify(cfg.pe);
    if (seen.has(key)) continue;
    seen.add(key);
    const decls = encodingTensors(cfg);
    const table = paramTable(cfg);
    for (const d of decls) {
      const shown = d.scope === "layer" ? `blocks.{i}.attn.pe.${d.name}` : d.scope === "shared" ? `pe.${d.name}` : d.name;
      const inTable = d.scope === "layer" ? `blocks.0.attn.pe.${d.name}` : shown;
      assert.ok(table.some((p) => p.name === inTable), `${inTable} in the parameter table`);
      rows.push(`| ${label} | \`${shown}\` | ${d.scope} | [${d.shape.join(", ")}] | ${initText(d.init)} |`);
    }
  }
  return ["| pe | checkpoint key | scope | shape | init |", "|---|---|---|---|---|", ...rows].join("\n");
}

test("docs/checkpoints.md lists every encoding tensor as the specs declare it", () => {
  const docs = readFileSync(DOCS, "utf8");
  assert.ok(docs.includes(encodingTensorTable()), `docs/checkpoints.md must contain:\n${encodingTensorTable()}`);
});
