import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeRope, ropeParamsFromHfConfig } from "../../pe/rope/index.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "extrapos-rope-cli-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, "pe", "rope", ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LLAMA31 = {
  hidden_size: 4096, num_attention_heads: 32, rope_theta: 500000.0, max_position_embeddings: 131072, vocab_size: 128256,
  rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
};
const PHI3 = {
  hidden_size: 96, num_attention_heads: 1, max_position_embeddings: 131072, original_max_position_embeddings: 4096,
  rope_scaling: { type: "longrope", short_factor: Array(48).fill(1), long_factor: Array(48).fill(2) },
};

test("output has exactly the specified keys and the API's values (float64 and --float32)", () => {
  const cfg = file("llama31.json", LLAMA31);
  const r = run("--config", cfg, "--positions", "-5,0,1,4095");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ["inv_freq", "attention_factor", "rotary_dim", "cos", "sin"]);
  const api = computeRope(ropeParamsFromHfConfig(LLAMA31), { positions: [-5, 0, 1, 4095] });
  assert.deepEqual(out.inv_freq, Array.from(api.invFreq)); // JSON numbers round-trip exactly
  assert.equal(out.attention_factor, 1);
  assert.equal(out.rotary_dim, 128);
  assert.equal(out.cos.length, 4);
  assert.deepEqual(out.cos[3], Array.from(api.cos!.subarray(3 * 128, 4 * 128)));
  assert.deepEqual(out.sin[0], Array.from(api.sin!.subarray(0, 128)));

  const f32 = JSON.parse(run("--config", cfg, "--float32").stdout);
  assert.deepEqual(Object.keys(f32), ["inv_freq", "attention_factor", "rotary_dim"]);
  const api32 = computeRope(ropeParamsFromHfConfig(LLAMA31), { precision: "float32" });
  assert.deepEqual(f32.inv_freq, Array.from(api32.invFreq));
  assert.notDeepEqual(f32.inv_freq, out.inv_freq);
});

test("--seq-len defaults to max(position) + 1 (longrope switches past original_max_position_embeddings)", () => {
  const cfg = file("phi3.json", PHI3);
  const short = JSON.parse(run("--config", cfg, "--positions", "0,4095").stdout);
  const long = JSON.parse(run("--config", cfg, "--positions", "0,4096").stdout);
  const forced = JSON.parse(run("--config", cfg, "--positions", "0,4096", "--seq-len", "100").stdout);
  assert.equal(long.inv_freq[1], short.inv_freq[1] / 2);
  assert.deepEqual(forced.inv_freq, short.inv_freq);
  assert.equal(Math.abs(short.attention_factor - Math.sqrt(1 + Math.log(32) / Math.log(4096))) < 1e-15, true);
  const res = JSON.parse(run("--config", cfg, "--resonance").stdout);
  assert.equal(res.inv_freq[0], (2 * Math.PI) / 6);
});

test("bad input: one message line on stderr (plus an optional hint line), exit 2, nothing on stdout", () => {
  const good = file("good.json", LLAMA31);
  const cases: Array<[string, string[], RegExp]> = [
    ["missing --config", [], /--config is required/],
    ["unreadable file", ["--config", join(dir, "nope.json")], /cannot read --config file ".*nope\.json" \(ENOENT\) — hint: no such file; the working directory is \//],
    ["invalid JSON", ["--config", file("bad.json", "{ not json")], /is not valid JSON/],
    ["invalid JSON, with a newline", ["--config", file("bad2.json", "not json\n")], /is not valid JSON: Unexpected token .*"not json\\n" is not valid JSON$/],
    ["unknown type", ["--config", file("t.json", { ...LLAMA31, rope_scaling: { rope_type: "wavy", factor: 2 } })], /unknown RoPE type "wavy"/],
    ["bad factor", ["--config", file("f.json", { ...LLAMA31, rope_scaling: { type: "linear", factor: 0.5 } })], /`rope_scaling.factor` must be a finite number ≥ 1, got 0.5 \(in .*f\.json\)/],
    ["missing field", ["--config", file("m.json", { ...LLAMA31, rope_scaling: { rope_type: "llama3", factor: 8 } })], /needs `rope_scaling.low_freq_factor`/],
    ["unknown key", ["--config", file("k.json", { ...LLAMA31, rope_scaling: { type: "linear", factor: 2, scale: 3 } })], /unknown key `rope_scaling.scale`/],
    ["non-numeric positions", ["--config", good, "--positions", "0,x"], /--positions must be a finite number, got "x"/],
    ["fractional positions", ["--config", good, "--positions", "1.5"], /--positions must be an integer, got "1.5"/],
    ["seq-len 0", ["--config", good, "--seq-len", "0"], /--seq-len must be an integer ≥ 1, got 0/],
    ["unknown option", ["--config", good, "--theta", "5"], /unknown option --theta/],
    ["stray argument", ["--config", good, "extra"], /unexpected argument "extra"/],
  ];
  for (const [label, args, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${label}: exit ${r.status}, stderr ${r.stderr}`);
    assert.equal(r.stdout, "", `${label}: stdout not empty`);
    const lines = r.stderr.trimEnd().split("\n");
    assert.match(lines[0]!, /^extrapos: /, label);
    assert.match(lines[0]!, re, label);
    assert.ok(lines.length === 1 || (lines.length === 2 && lines[1]!.startsWith("  hint: ")), `${label}: stderr ${JSON.stringify(r.stderr)}`);
    assert.ok(!/\bat \w+ \(|Error:/.test(r.stderr), `${label}: stack trace in stderr`);
  }
});
