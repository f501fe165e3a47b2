import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { PE_METHODS } from "./methods.js";
import { ROPE_TYPES } from "./rope/index.js";

// Reads the TypeScript sources and the docs from the repository (dist/pe/ → ../../src/pe/, ../../docs/).
const SRC = new URL("../../src/pe/", import.meta.url);
const DOCS = new URL("../../docs/encodings.md", import.meta.url);
const NOT_ENCODINGS = new Set(["index.ts", "errors.ts", "random.ts", "methods.ts", "check.ts", "testing.ts"]);
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

test("every PE_METHODS entry has its module, a row in the docs table and a docs section", () => {
  const docs = readFileSync(DOCS, "utf8");
  const headings = docs.split("\n").filter((l) => l.startsWith("## "));
  const subHeadings = docs.split("\n").filter((l) => l.startsWith("### "));
  for (const type of ROPE_TYPES) {
    assert.ok(subHeadings.some((h) => h.includes(`\`${type}\``)), `rope_type ${type}: no "### … \`${type}\`" section in docs/encodings.md`);
  }
  for (const [name, m] of Object.entries(PE_METHODS)) {
    if (m.module.endsWith(".ts")) assert.ok(existsSync(new URL(m.module, SRC)), `${name}: module ${m.module} missing`);
    assert.ok(docs.includes(`| \`${name}\` |`), `${name}: no row in the docs table`);
    assert.ok(headings.some((h) => h.includes(`\`${name}\``)), `${name}: no "## … \`${name}\`" section in docs/encodings.md`);
    for (const key of Object.keys(m.parameters)) assert.ok(docs.includes(`\`${key}\``), `${name}: parameter ${key} not documented`);
  }
});
