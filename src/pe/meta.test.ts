import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { ENCODINGS, encodingSpec, ENCODING_NAMES, RANDOMIZED } from "./encodings.js";
import { describeDefault, describeParam, FAMILIES } from "./spec.js";
import { ROPE_TYPES } from "./rope/index.js";

// Reads the TypeScript sources and the docs from the repository (dist/pe/ → ../../src/pe/, ../../docs/).
const SRC = new URL("../../src/pe/", import.meta.url);
const DOCS = new URL("../../docs/encodings.md", import.meta.url);
const NOT_ENCODINGS = new Set(["index.ts", "errors.ts", "random.ts", "check.ts", "testing.ts"]);
const HEADER_FIELDS = ["Formula:", "Paper:", "Reference:", "Models:", "Parameters:", "Config keys:", "Differences:"];

/** Encoding files: top-level src/pe/*.ts and everything under src/pe/rope/ (paths relative to src/pe/). */
const files = readdirSync(SRC, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !NOT_ENCODINGS.has(f.split("/").pop()!) && (!f.includes("/") || f.startsWith("rope/")));

test("every encoding file in src/pe opens with the P2 header, fields in order", () => {
  assert.ok(files.length >= 13 + 8, `found ${files.length} files`);
  assert.ok(files.includes("rope/scaling/yarn.ts"), "rope scheme files are checked too");
  for (const f of files) {
    const text = readFileSync(new URL(f, SRC), "utf8");
    const header = /^\/\*\*([\s\S]*?)\*\//.exec(text);
    assert.ok(header, `${f}: must start with a /** … */ header`);
    let last = -1;
    for (const field of HEADER_FIELDS) {
      const at = header![1]!.indexOf(` * ${field}`);
      assert.ok(at >= 0, `${f}: header lacks "${field}"`);
      assert.ok(at > last, `${f}: "${field}" out of order`);
      last = at;
    }
  }
});

test("size budget: src/pe files under 250 lines", () => {
  for (const f of readdirSync(SRC, { recursive: true }).map(String).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts"))) {
    const lines = readFileSync(new URL(f, SRC), "utf8").split("\n").length;
    assert.ok(lines <= 250, `${f}: ${lines} lines`);
  }
});

/** The docs' encoding table, generated from the registry. */
export function encodingTableMarkdown(): string {
  const rows = ENCODING_NAMES.map((n) => {
    const s = encodingSpec(n);
    const aliases = Object.keys(s.aliases).map((a) => `\`${a}\``).join(", ");
    return `| \`${n}\` | ${aliases || "—"} | ${s.family} | ${s.models.join(", ")} | ${s.randomized ? "yes" : "—"} | ${s.paper} | ${s.usedBy} |`;
  });
  return ["| name | aliases | family | models | randomized | paper | used by |", "|---|---|---|---|---|---|---|", ...rows].join("\n");
}

/** The docs' parameter table (file-form keys under `pe`), generated from the registry. */
export function parameterTableMarkdown(): string {
  const rows = ENCODING_NAMES.flatMap((n) => Object.entries(encodingSpec(n).params).map(([k, p]) =>
    `| \`${n}\` | \`${k}\` | ${describeParam(p).replace(/\|/g, "\\|")} | ${describeDefault(p)} | ${p.help.replace(/\|/g, "\\|")} |`));
  const r = RANDOMIZED.params.max_length;
  rows.push(`| any with randomized | \`randomized.max_length\` | ${describeParam(r)} | — (off) | ${r.help} |`);
  return ["| encoding | key | value | default | meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}

test("docs/encodings.md holds the registry's encoding and parameter tables, verbatim, and a section per encoding", () => {
  const docs = readFileSync(DOCS, "utf8");
  assert.ok(docs.includes(encodingTableMarkdown()), `docs/encodings.md must contain the encoding table:\n${encodingTableMarkdown()}`);
  assert.ok(docs.includes(parameterTableMarkdown()), `docs/encodings.md must contain the parameter table:\n${parameterTableMarkdown()}`);
  const headings = docs.split("\n").filter((l) => l.startsWith("## "));
  const subHeadings = docs.split("\n").filter((l) => l.startsWith("### "));
  for (const type of ROPE_TYPES) {
    assert.ok(subHeadings.some((h) => h.includes(`\`${type}\``)), `rope_type ${type}: no "### … \`${type}\`" section in docs/encodings.md`);
  }
  for (const name of ENCODING_NAMES) {
    assert.ok(headings.some((h) => h.endsWith(`— \`${name}\``)), `${name}: no "## … — \`${name}\`" section in docs/encodings.md`);
  }
  for (const f of Object.keys(FAMILIES)) assert.ok(docs.includes(`**${f}**`), `family ${f} not explained`);
});

test("every encoding's spec lives beside its math: src/pe/<name>.ts (rope: rope/encoding.ts) exports it", () => {
  for (const name of ENCODING_NAMES) {
    const file = name === "rope" ? "rope/encoding.ts" : `${name}.ts`;
    assert.ok(existsSync(new URL(file, SRC)), `${name}: ${file} missing`);
    const constName = `${name.replace(/-/g, "_").toUpperCase()}_SPEC`;
    assert.match(readFileSync(new URL(file, SRC), "utf8"), new RegExp(`export const ${constName} = defineEncoding\\(\\{\\s*name: "${name}"`), `${file} must declare ${constName}`);
    assert.equal(ENCODINGS[name].name, name);
  }
});
