import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { planToJson, resolvePlan } from "../report/plan.js";
import { cellsOf, parsePayload, payloadOf, resultIds } from "./cells.js";
import { parseRedisUrl } from "./connection.js";

const plan = resolvePlan({ methods: ["alibi", "rope-yarn", "rope-linear"], seeds: 2, trainLen: 16, evalLens: [16, 32], steps: 5, threads: 1 });

test("cells: one per trained method and seed, the variants of a base in one cell after it", () => {
  const cells = cellsOf(plan);
  assert.deepEqual(cells.map((c) => c.id), ["alibi-s0", "rope-s0", "rope-s0+variants", "alibi-s1", "rope-s1", "rope-s1+variants"]);
  const v = cells[2]!;
  assert.deepEqual(v.methods, ["rope-yarn", "rope-linear"]);
  assert.equal(v.after, "rope-s0");
  assert.equal(v.run, "rope-s0");
  assert.deepEqual(resultIds(v), ["rope-yarn-s0", "rope-linear-s0"]);
  // every result of the plan is produced by exactly one cell
  const all = cells.flatMap(resultIds).sort();
  assert.deepEqual(all, plan.seeds.flatMap((s) => plan.methods.map((m) => `${m}-s${s}`)).sort());
});

test("payloads: a good one round-trips; malformed or hostile ones are refused with the reason", () => {
  const good = payloadOf("study-1", plan, cellsOf(plan)[2]!);
  const p = parsePayload(JSON.parse(JSON.stringify(good)));
  assert.equal(p.study, "study-1");
  assert.deepEqual(p.cell, cellsOf(plan)[2]);
  assert.deepEqual(planToJson(p.plan), planToJson(plan));
  const bad: Array<[unknown, RegExp]> = [
    ["hello", /must be an object/],
    [null, /must be an object/],
    [{ ...good, format: "other" }, /`format`\/`version`/],
    [{ ...good, study: "../../etc" }, /`study` must match/],
    [{ ...good, study: "a/b" }, /`study` must match/],
    [{ ...good, cell: { ...good.cell, methods: ["alibi; rm -rf /"] } }, /`cell.methods` must list bench methods/],
    [{ ...good, cell: { ...good.cell, methods: ["__proto__"] } }, /`cell.methods` must list bench methods/],
    [{ ...good, cell: { ...good.cell, seed: 7 } }, /is not a cell of its plan/],
    [{ ...good, cell: { ...good.cell, id: "alibi-s0" } }, /is not a cell of its plan/],
    [{ ...good, plan: { ...good.plan, train: { steps: -5, batch: 16, lr: 0.01 } } }, /--steps must be an integer/],
    [{ ...good, plan: { ...good.plan, model: { d_model: 63, n_layers: 2, n_heads: 4 } } }, /bench method/],
    [{ ...good, plan: { ...good.plan, padding: "x".repeat(70_000) } }, /more than the 65536 a cell needs/],
  ];
  for (const [data, re] of bad) {
    assert.throws(() => parsePayload(data), (e: unknown) => e instanceof ExtraposError && /^invalid job payload: /.test(e.message) && re.test(e.message), JSON.stringify(data).slice(0, 120));
  }
});

test("Redis URLs: host, port, db, credentials and TLS; the password never shows; bad ones name the problem", () => {
  assert.deepEqual(parseRedisUrl("redis://127.0.0.1:6380"), { host: "127.0.0.1", port: 6380, db: 0, tls: false, display: "redis://127.0.0.1:6380" });
  const t = parseRedisUrl("rediss://alice:s%3Acret@cache.example:7000/3");
  assert.deepEqual({ ...t }, { host: "cache.example", port: 7000, db: 3, username: "alice", password: "s:cret", tls: true, display: "rediss://alice:***@cache.example:7000/3" });
  assert.equal(parseRedisUrl("redis://:pw@h").display, "redis://:***@h");
  assert.equal(parseRedisUrl("redis://h").port, 6379);
  for (const [url, re] of [["http://h:1", /scheme/], ["not a url", /must be a redis/], ["redis://h/abc", /database/], ["redis://h?x=1", /no query/], ["redis://h/100", /database/]] as const) {
    assert.throws(() => parseRedisUrl(url), (e: unknown) => e instanceof ExtraposError && re.test(e.message) && !e.message.includes("\n"), url);
  }
});
