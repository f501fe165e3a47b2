/**
 * Meta-tests of the architecture (style guide P1, P12): imports only go downstream
 * (pe → engine → model → data/train/eval → report → lab/queue → bench/cli), and source files stay small.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");

/** Position of each top-level folder in the data flow; a file may import only from ranks ≤ its own. */
const RANK: Record<string, number> = { pe: 0, engine: 1, model: 2, data: 3, train: 3, eval: 3, report: 4, lab: 5, queue: 5, bench: 6, cli: 6 };

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== "generated") walk(p, out); }
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0]! : "(root)";
}

const files = walk(SRC);

test("imports only go downstream between top-level folders", () => {
  const violations: string[] = [];
  for (const file of files) {
    const from = folderOf(file);
    if (!(from in RANK)) continue; // src/index.ts and other root files may import anything
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(SRC + sep)) continue;
      const to = folderOf(target);
      if (to in RANK && RANK[to]! > RANK[from]!) violations.push(`${relative(SRC, file)} imports ${m[1]} (${from} → ${to})`);
    }
  }
  assert.deepEqual(violations, [], `upstream imports:\n${violations.join("\n")}`);
});

test("source files stay within the size budgets (src/pe ≤ 250 lines, others ≤ 600; tests exempt)", () => {
  const over: string[] = [];
  for (const file of files) {
    if (file.endsWith(".test.ts")) continue;
    const lines = readFileSync(file, "utf8").split("\n").length;
    const limit = folderOf(file) === "pe" ? 250 : 600;
    if (lines > limit) over.push(`${relative(SRC, file)}: ${lines} lines (limit ${limit})`);
  }
  assert.deepEqual(over, [], over.join("\n"));
});

test("the meta-test sees the tree (guards against a vacuous pass)", () => {
  assert.ok(files.length > 50, `only ${files.length} source files found under ${SRC}`);
  assert.ok(files.some((f) => f.endsWith(join("pe", "index.ts"))));
});

test("no runtime import cycles (type-only imports excepted)", () => {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const deps: string[] = [];
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']/gm)) {
      if (/^(?:import|export)\s*\{[^}]*\}/.test(m[0]) && /^(?:import|export)\s*\{\s*(?:type\s+[^,}]+,?\s*)+\}/.test(m[0])) continue; // { type A, type B }
      deps.push(resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts")));
    }
    graph.set(file, deps);
  }
  const cycles: string[] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 1);
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(SRC, x)).join(" → "));
      else if (!state.has(d) && graph.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, [], `runtime import cycles:\n${cycles.join("\n")}`);
});
