/**
 * `extrapos pe <method>` takes its encoding parameters from the registry: every spec parameter of a method's
 * encoding is either an option (in --help with the spec's kebab-case name, help, choices and default) or listed
 * with the reason it is not one — so a parameter added to a spec fails here until the method says which.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { encodingSpec, type EncodingName } from "../../pe/encodings.js";
import { PE_CLI_METHODS } from "./methods.js";
import type { PeCliMethod } from "./index.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("every spec parameter of a pe method's encoding is in its --help with the spec's name, help and default, or excused", () => {
  for (const [name, m] of Object.entries(PE_CLI_METHODS) as [EncodingName, PeCliMethod][]) {
    const spec = encodingSpec(name);
    const taken = m.specParams.takes, excused = Object.keys(m.specParams.not ?? {});
    assert.deepEqual([...taken, ...excused].sort(), Object.keys(spec.params).sort(), `${name}: specParams must list every spec parameter exactly once`);
    const help = run("pe", name, "--help");
    assert.equal(help.code, 0, help.err);
    const lines = help.out.split("\n");
    for (const key of taken) {
      const flag = `--${key.replace(/_/g, "-")}`;
      const line = lines.find((l) => l.trimStart().startsWith(`${flag} `) || l.trim() === flag);
      assert.ok(line !== undefined, `${name}: ${flag} missing from --help`);
      const d = spec.params[key]!;
      assert.ok(line.includes(d.help), `${name} ${flag}: help "${d.help}" not in ${JSON.stringify(line)}`);
      if (d.type === "choice") assert.ok(line.includes(`one of ${d.choices.join("|")}`), `${name} ${flag}: choices`);
      if (d.default === null) assert.ok(line.includes("required here") && !line.includes("default "), `${name} ${flag}: a derived default is required here`);
      else if (d.type !== "boolean") assert.ok(line.includes(`default ${String(d.default)})`), `${name} ${flag}: default ${String(d.default)} not in ${JSON.stringify(line)}`);
    }
    for (const [key, why] of Object.entries(m.specParams.not ?? {})) assert.ok(why.length > 0, `${name}.${key}: give the reason`);
  }
});

test("the spec's names and the old pe names give the same values; both at once are refused", () => {
  const t5 = (...o: string[]) => run("pe", "t5", "--relative", "-40:40", "--max-distance", "64", ...o);
  const fresh = t5("--num-buckets", "16"), old = t5("--buckets", "16"), dflt = t5();
  assert.equal(fresh.code, 0, fresh.err);
  assert.equal(fresh.out, old.out);
  assert.notEqual(fresh.out, dflt.out, "--num-buckets 16 changes the buckets (default 32)");
  const fire = (...o: string[]) => run("pe", "fire", "--heads", "2", "--distance", "0:8", ...o);
  const f1 = fire("--hidden", "8", "--init-c", "0.3"), f2 = fire("--width", "8", "--c", "0.3"), f0 = fire();
  assert.equal(f1.code, 0, f1.err);
  assert.equal(f1.out, f2.out);
  assert.notEqual(f1.out, f0.out);
  for (const [args, re] of [[["pe", "t5", "--relative", "0", "--num-buckets", "8", "--buckets", "8"], /--buckets is the old name of --num-buckets/],
    [["pe", "fire", "--hidden", "8", "--width", "8"], /--width is the old name of --hidden/],
    [["pe", "fire", "--init-c", "0"], /--init-c must be a finite non-zero number, got 0/],
    [["pe", "t5", "--relative", "0", "--num-buckets", "2"], /--num-buckets must be an integer ≥ 4/]] as const) {
    const r = run(...args);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.equal(r.out, "");
  }
});
