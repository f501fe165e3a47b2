import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same, asynchronously (error cases run 6 at a time to keep the file fast). */
function runAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, ...args]);
    let out = "", err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => resolve({ code, out, err }));
  });
}

function ok(...args: string[]): any {
  const r = run(...args);
  assert.equal(r.code, 0, `exit ${r.code}: ${r.err}`);
  assert.equal(r.err, "");
  return JSON.parse(r.out);
}

test("alibi, t5 (alias t5-bucket), sinusoidal, xpos print exactly the documented keys with full-precision numbers", () => {
  const a = ok("pe", "alibi", "--heads", "8");
  assert.deepEqual(Object.keys(a), ["slopes"]);
  assert.deepEqual(a.slopes, [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625]);
  const t = ok("pe", "t5", "--relative", "-300:300", "--buckets", "32", "--max-distance", "128", "--causal");
  assert.deepEqual(ok("pe", "t5-bucket", "--relative", "-300:300", "--buckets", "32", "--max-distance", "128", "--causal"), t, "the old name is an alias");
  assert.deepEqual(Object.keys(t), ["relative", "buckets"]);
  assert.equal(t.relative.length, 601);
  assert.equal(t.relative[0], -300);
  assert.equal(t.buckets[300 - 128], 31); // relative −128 → 31 (reference doc §6)
  assert.equal(t.buckets[300 - 5], 5);
  const s = ok("pe", "sinusoidal", "--positions", "3", "--dim", "4", "--layout", "concat");
  assert.deepEqual(Object.keys(s), ["table"]);
  assert.deepEqual(s.table[1], [Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01)]);
  const x = ok("pe", "xpos", "--dim", "4", "--positions", "-4096,0,4095");
  assert.deepEqual(Object.keys(x), ["scale"]);
  assert.deepEqual(x.scale[1], [1, 1]);
  assert.equal(x.scale[0][0], Math.pow(1.6 / 5.6, -8)); // ζ_0 = 0.4·4/(1.4·4), position −4096/512 = −8
});

test("adaptive, kerple, fire, sandwich, cope outputs", () => {
  const ad = ok("pe", "adaptive", "--positions", "6", "--dim", "4", "--length-mode", "window", "--window", "4");
  assert.deepEqual(ad.positions, [-2, -1, 0, 1, 2, 3]);
  assert.equal(ad.L, 4);
  assert.equal(ad.table.length, 6);
  const k = ok("pe", "kerple", "--kernel", "log", "--r1", "1", "--r2", "1", "--distance", "0:2");
  assert.deepEqual(ok("pe", "kerple", "--variant", "log", "--r1", "1", "--r2", "1", "--distance", "0:2"), k, "--variant: the old name");
  assert.deepEqual(ok("pe", "kerple", "--r1", "1", "--r2", "1", "--distance", "0:2"), k, "--kernel log: the default");
  assert.deepEqual(k.bias, [[0, -Math.LN2, -Math.log(3)]]);
  const f = ok("pe", "fire", "--heads", "2", "--distance", "0:3");
  assert.equal(f.bias.length, 2);
  assert.equal(f.threshold, 512);
  const sw = ok("pe", "sandwich", "--dim", "8", "--heads", "2", "--distance", "0,5");
  assert.equal(sw.bias[0][0], 0);
  assert.ok(sw.bias[1][1] < 0);
  const c = ok("pe", "cope", "--gates", "1,0.5,0.25,1", "--max-pos", "3");
  assert.deepEqual(c.positions, [2, 1.75, 1.25, 1]); // hand: reverse sums 2.75 (clamped to 2), 1.75, 1.25, 1
});

test("--help lists every method with its options", () => {
  const r = run("pe", "--help");
  assert.equal(r.code, 0);
  for (const m of ["alibi", "sinusoidal", "adaptive", "xpos", "fire", "sandwich", "cope", "plot"]) assert.ok(r.out.includes(`\n${m} — `), m);
  assert.ok(r.out.includes("\nkerple (alias: kerple-log, kerple-power) — "), "kerple with its aliases");
  assert.ok(r.out.includes("\nt5 (alias: t5-bucket, t5-buckets) — "), "t5 with its aliases");
  for (const o of ["--heads", "--relative", "--layout", "--spacing", "--scale-base", "--length-mode", "--kernel", "--gates", "--out"]) assert.ok(r.out.includes(o), o);
  // a plot method's own help: its options and the plot's (was "unknown option --help")
  const p = run("pe", "plot", "alibi", "--help");
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /^Usage: extrapos pe plot alibi /);
  for (const o of ["--heads", "--out", "--plot-range", "--log-x"]) assert.ok(p.out.includes(o), o);
});

test("every error path: one line on stderr naming the problem, exit 2, nothing on stdout", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["pe"], /needs a method/],
    [["pe", "nope"], /unknown pe method "nope"/],
    [["pe", "alibi"], /--heads is required/],
    [["pe", "alibi", "--heads", "0"], /--heads must be an integer ≥ 1, got 0/],
    [["pe", "alibi", "--heads", "x"], /--heads must be a finite number, got "x"/],
    [["pe", "alibi", "--heads", "2.5"], /--heads must be an integer/],
    [["pe", "alibi", "--heads", "4", "--bogus", "1"], /unknown option --bogus/],
    [["pe", "alibi", "--heads", "4", "stray"], /unexpected argument "stray"/],
    [["pe", "sinusoidal", "--positions", "3", "--dim", "0"], /--dim must be an integer ≥ 1, got 0/],
    [["pe", "sinusoidal", "--positions", "0", "--dim", "4"], /--positions must be an integer ≥ 1/],
    [["pe", "sinusoidal", "--positions", "3", "--dim", "4", "--layout", "half"], /--layout must be one of interleaved, concat/],
    [["pe", "sinusoidal", "--positions", "3", "--dim", "4", "--base", "-1"], /--base must be a number > 0/],
    [["pe", "t5", "--relative", "1.5"], /--relative must be an integer/],
    [["pe", "t5"], /--relative is required/],
    [["pe", "t5", "--relative", "0", "--buckets", "2"], /--buckets must be an integer ≥ 4/],
    [["pe", "t5-bucket", "--relative", "0", "--max-distance", "8"], /--max-distance must be > 8/],
    [["pe", "t5-bucket", "--relative", "5:1"], /must have start ≤ end/],
    [["pe", "xpos", "--dim", "5", "--positions", "0"], /--dim must be even/],
    [["pe", "xpos", "--dim", "4"], /--positions is required/],
    [["pe", "xpos", "--dim", "4", "--positions", "0", "--scale-base", "0"], /--scale-base must be a number > 0/],
    [["pe", "adaptive", "--positions", "4", "--dim", "3"], /--dim must be even/],
    [["pe", "adaptive", "--positions", "4", "--dim", "4", "--length-mode", "fixed"], /--length is required/],
    [["pe", "adaptive", "--positions", "4", "--dim", "4", "--window", "3"], /--window applies to --length-mode window only/],
    [["pe", "adaptive", "--positions", "4", "--dim", "4", "--min-period", "2"], /--min-period must be a number > 2/],
    [["pe", "kerple"], /--heads is required/],
    [["pe", "kerple", "--kernel", "log", "--variant", "power", "--heads", "2"], /--variant is the old name of --kernel/],
    [["pe", "kerple", "--kernel", "log", "--r1", "1"], /--r1 and --r2 must be given together/],
    [["pe", "kerple", "--kernel", "log", "--r1", "1,2", "--r2", "1"], /one value per head/],
    [["pe", "kerple", "--kernel", "power", "--a", "1", "--p", "3"], /--p values must be numbers in \[0.01, 2\]/],
    [["pe", "kerple", "--kernel", "log", "--a", "1", "--p", "1"], /--a applies to --kernel power only/],
    [["pe", "kerple", "--kernel", "log", "--heads", "2", "--distance", "-1:3"], /--distance values must be integers ≥ 0, got -1/],
    [["pe", "fire", "--heads", "0"], /--heads must be an integer ≥ 1/],
    [["pe", "fire", "--init-l", "0"], /--init-l must be a number > 0/],
    [["pe", "sandwich", "--dim", "7", "--heads", "2"], /--dim must be even/],
    [["pe", "sandwich", "--dim", "8"], /--heads is required/],
    [["pe", "cope", "--gates", "1,1.5"], /--gates values must be numbers in \[0, 1\], got 1.5/],
    [["pe", "cope", "--gates", "1", "--max-pos", "0"], /--max-pos must be an integer ≥ 1/],
    [["pe", "plot"], /needs a method/],
    [["pe", "plot", "nope", "--out", "x.svg"], /unknown pe method "nope"/],
    [["pe", "plot", "alibi", "--heads", "4"], /--out is required/],
    [["pe", "plot", "xpos", "--dim", "5", "--out", "x.svg"], /--dim must be even/],
    [["pe", "plot", "rope", "--out", "x.svg"], /--config is required/],
    [["pe", "plot", "xpos-typo", "--out", "x.svg"], /unknown pe method/],
    [["pe", "plot", "alibi", "--heads", "4", "--out", "/nonexistent-dir/x.svg"], /cannot write --out "\/nonexistent-dir\/x\.svg": "\/nonexistent-dir" does not exist — hint: give a path in an existing folder$/],
    [["pe", "plot", "alibi", "--heads", "4", "--out", "x.svg", "--plot-range", "0"], /--plot-range must be an integer in \[1, 100000\]/],
  ];
  const results: Array<{ code: number | null; out: string; err: string }> = [];
  for (let i = 0; i < cases.length; i += 6) results.push(...(await Promise.all(cases.slice(i, i + 6).map(([args]) => runAsync(args)))));
  cases.forEach(([args, re], n) => {
    const r = results[n]!;
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code} (${r.err})`);
    assert.equal(r.out, "", `${args.join(" ")}: stdout must be empty`);
    assert.match(r.err.split("\n")[0]!, re, args.join(" "));
    assert.ok(!/\n\s+at /.test(r.err), "no stack trace");
  });
});

test("plot writes one standalone SVG atomically for every supported method", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-plot-"));
  const ropeConfig = join(dir, "config.json");
  writeFileSync(ropeConfig, JSON.stringify({ hidden_size: 64, num_attention_heads: 2, rope_theta: 10000, max_position_embeddings: 128, rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32 } }));
  try {
    const methods: [string, ...string[]][] = [
      ["alibi", "--heads", "8"], ["t5", "--relative", "-50:50"], ["sinusoidal", "--positions", "40", "--dim", "16"],
      ["adaptive", "--positions", "40", "--dim", "16"], ["kerple", "--kernel", "power", "--heads", "3"], ["fire", "--heads", "2"],
      ["sandwich", "--dim", "16", "--heads", "4"], ["cope", "--gates", "1,0.2,0.7,1"], ["xpos", "--dim", "16"],
      ["rope", "--config", ropeConfig],
    ];
    for (const [m, ...opts] of methods) {
      const out = join(dir, `${m}.svg`);
      const r = ok("pe", "plot", m, ...opts, "--out", out, "--plot-range", "32", "--log-x");
      assert.deepEqual(r, { out, method: m });
      const svg = readFileSync(out, "utf8");
      assert.ok(svg.startsWith("<?xml") && svg.trimEnd().endsWith("</svg>"), m);
      assert.equal((svg.match(/<path /g) ?? []).length > 0, true, `${m}: has a curve`);
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".tmp")), [], "no temp files left");
    const rope = readFileSync(join(dir, "rope.svg"), "utf8");
    assert.match(rope, /q·k vs relative distance/);
    assert.ok(!existsSync(join(dir, "x.svg")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
