// Contiguous lanes (LMOrderedIterator): hand examples of the lane cut, consecutive segments, epoch wrap,
// resume from the state, validation windows, and refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLanes, LaneSampler, laneSegments, laneWindows } from "./lanes.js";

const tokens = Int32Array.from({ length: 23 }, (_, i) => i); // 0 … 22

test("lanes: B lanes of ⌊N/B⌋ tokens, consecutive segments per lane, the epoch wraps with continues = false", () => {
  // 23 tokens, 2 lanes of 11 (token 22 dropped): lane 0 = 0…10, lane 1 = 11…21; T 3 → ⌊(11−1)/3⌋ = 3 segments
  assert.equal(laneSegments(23, 2, 3), 3);
  const s = new LaneSampler(tokens, 3, 2);
  const rows = (b: { x: Int32Array; y: Int32Array }) => [Array.from(b.x), Array.from(b.y)];
  assert.equal(s.continues(), false);
  let b = s.next(2);
  assert.deepEqual(rows(b), [[0, 1, 2, 11, 12, 13], [1, 2, 3, 12, 13, 14]]);
  assert.equal(b.continues, false);
  assert.equal(s.continues(), false);
  b = s.next(2);
  assert.deepEqual(rows(b), [[3, 4, 5, 14, 15, 16], [4, 5, 6, 15, 16, 17]]);
  assert.equal(b.continues, true);
  assert.equal(s.continues(), true);
  assert.deepEqual(rows(s.next(2)), [[6, 7, 8, 17, 18, 19], [7, 8, 9, 18, 19, 20]]);
  b = s.next(2); // epoch 2 starts again at the lanes' beginnings
  assert.deepEqual(rows(b), [[0, 1, 2, 11, 12, 13], [1, 2, 3, 12, 13, 14]]);
  assert.equal(b.continues, false);
  const r = LaneSampler.restore(tokens, s.state());
  assert.deepEqual(s.state(), { seqLen: 3, lanes: 2, drawn: 4, rng: [] });
  assert.deepEqual(rows(r.next(2)), rows(s.next(2)));
  assert.equal(r.continues(), true);
});

test("lane windows for validation: the first k segments of each lane, capped by what fits", () => {
  const w = laneWindows(23, 2, 3, 10);
  assert.equal(w.segments, 3);
  assert.deepEqual([w.start(0, 0), w.start(0, 2), w.start(1, 0), w.start(1, 1)], [0, 6, 11, 14]);
  assert.equal(laneWindows(23, 2, 3, 2).segments, 2);
});

test("lanes refuse a text too short for one segment per lane, and a batch of another size", () => {
  assert.throws(() => checkLanes(23, 6, 3, "the train split"), /the train split has 23 tokens: 6 contiguous lanes of ⌊23\/6⌋ = 3 tokens hold no segment of seq_len \+ 1 = 4/);
  assert.throws(() => new LaneSampler(tokens, 3, 2).next(3), /the lane sampler has 2 lanes; a batch of 3 rows was asked for/);
  assert.throws(() => LaneSampler.restore(tokens, { seqLen: 3, lanes: 2, drawn: -1, rng: [] }), /`drawn` must be an integer ≥ 0, got -1/);
});
