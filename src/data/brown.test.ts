import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brownPackageDir, brownParagraphs, brownSplitOf, buildBrown, detokenizeBrown, fnv1a32, listBrownIds, loadBrown, stripTag } from "./brown.js";
import { splitSizes } from "./splits.js";

test("FNV-1a 32 matches the published test vectors", () => {
  // From the FNV reference test suite (Fowler/Noll/Vo, fnv test vectors): "", "a", "foobar".
  assert.equal(fnv1a32(""), 0x811c9dc5);
  assert.equal(fnv1a32("a"), 0xe40c292c);
  assert.equal(fnv1a32("foobar"), 0xbf9cf968);
});

test("tags are stripped at the last slash", () => {
  assert.equal(stripTag("jury/nn"), "jury");
  assert.equal(stripTag("1/2/cd"), "1/2");
  assert.equal(stripTag("and/or/cc"), "and/or");
  assert.equal(stripTag("Atlanta's/np$"), "Atlanta's");
});

test("detokenization: punctuation, quotes, brackets, abbreviations (hand-written expectations)", () => {
  const d = (s: string): string => detokenizeBrown(s.split(" "));
  assert.equal(d("`` Only a handful was received '' , the jury said ."), '"Only a handful was received", the jury said.');
  assert.equal(d("However , he said it didn't work ; so what ?"), "However, he said it didn't work; so what?");
  assert.equal(d("won by Mayor-nominate Ivan Allen Jr. ."), "won by Mayor-nominate Ivan Allen Jr.");
  assert.equal(d("the ( very ) best [ sic ] -- really !"), "the (very) best [sic] -- really!");
  assert.equal(d("more ' pro ' letters than ' con ' on it"), "more 'pro' letters than 'con' on it");
  assert.equal(d("he said : `` ( quietly ) yes ''"), 'he said: "(quietly) yes"');
  assert.equal(d("$30 or 50% of 1/2 , and/or more"), "$30 or 50% of 1/2, and/or more");
});

test("paragraphs: blocks of lines, headlines alone, doubled line-final punctuation dropped", () => {
  const raw = [
    "", "", "\tThe/at jury/nn said/vbd ./.", "It/pps urged/vbd ,/, ``/`` act/vb ''/'' ./.", "", "",
    "Merger/nn-hl proposed/vbn-hl ", "However/wrb ,/, it/pps was/bedz late/jj ;/. ;/.",
    "Was/bedz it/pps ?/. ?/.", "", "",
  ].join("\n");
  assert.deepEqual(brownParagraphs(raw), [
    'The jury said. It urged, "act".',
    "Merger proposed",
    "However, it was late; Was it?",
  ]);
});

test("split by document id: known documents land in known splits", () => {
  // Expected lists computed independently with python3 (FNV-1a by hand, bucket = h % 100):
  //   fnv=lambda s: functools.reduce(lambda h,b: ((h^b)*0x01000193) & 0xffffffff, s.encode(), 0x811c9dc5)
  const valid = "ca16 ca32 cb04 cb24 ce01 ce22 cf09 cf12 cf37 cg06 cg34 cg49 cg59 cg64 ch22 cj08 cj24 cj37 cj69 cj73 ck13 cl15 cn01 cp28".split(" ");
  const testIds = "ca11 ca39 cc13 ce06 ce27 cf17 cf27 cf38 cg42 cg61 ch11 ch25 ch30 cj16 cj30 cj51 cj74 ck08 ck16 cl02 cl21 cm02 cn04 cp10".split(" ");
  assert.equal(brownSplitOf("ca01"), "train"); // bucket 66
  assert.equal(brownSplitOf("cn01"), "valid");
  assert.equal(brownSplitOf("cm02"), "test");
  const ids = listBrownIds(brownPackageDir());
  assert.equal(ids.length, 500);
  assert.deepEqual(ids.filter((i) => brownSplitOf(i) === "valid"), valid);
  assert.deepEqual(ids.filter((i) => brownSplitOf(i) === "test"), testIds);
});

test("the result does not depend on the order the files are listed in", () => {
  const dir = brownPackageDir();
  const a = buildBrown(dir, ["ca01", "cn01", "cm02", "cj08"]);
  const b = buildBrown(dir, ["cm02", "cj08", "ca01", "cn01"]);
  assert.deepEqual(a, b);
  assert.deepEqual(a.documents.map((d) => [d.id, d.split, d.category]), [
    ["ca01", "train", "news"], ["cj08", "valid", "learned"], ["cm02", "test", "science_fiction"], ["cn01", "valid", "adventure"],
  ]);
  assert.ok(a.train.startsWith("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place.\n\n"));
  assert.ok(!/ [,.;:!?)]/.test(a.train + a.valid + a.test), "no space before closing punctuation");
});

test("full corpus: stable split, cache built, hit, rebuilt when corrupt, skipped when unwritable", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-brown-"));
  try {
    const first = loadBrown({ cacheDir: dir });
    assert.equal(first.cache.status, "built");
    const counts = { train: 0, valid: 0, test: 0 };
    for (const d of first.documents) counts[d.split]++;
    assert.deepEqual(counts, { train: 452, valid: 24, test: 24 });
    for (const d of first.documents) assert.equal(d.split, brownSplitOf(d.id));
    const sizes = splitSizes(first);
    // Each split is the sum of its documents plus a 2-byte "\n\n" between consecutive documents.
    for (const s of ["train", "valid", "test"] as const) {
      const docs = first.documents.filter((d) => d.split === s);
      assert.equal(sizes[s], docs.reduce((a, d) => a + d.bytes, 0) + 2 * (docs.length - 1));
    }
    const second = loadBrown({ cacheDir: dir });
    assert.equal(second.cache.status, "hit");
    assert.deepEqual({ ...second, cache: null }, { ...first, cache: null });
    const path = first.cache.path!;
    const full = readFileSync(path, "utf8");
    writeFileSync(path, full.slice(0, full.length / 2)); // truncated
    const third = loadBrown({ cacheDir: dir });
    assert.equal(third.cache.status, "rebuilt");
    assert.equal(third.train, first.train);
    writeFileSync(path, full.replace("Fulton County", "Fulton Kounty")); // valid JSON, wrong checksum
    const fourth = loadBrown({ cacheDir: dir });
    assert.equal(fourth.cache.status, "rebuilt");
    assert.equal(fourth.train, first.train);
    const blocker = join(dir, "not-a-dir");
    writeFileSync(blocker, "x");
    const fifth = loadBrown({ cacheDir: join(blocker, "sub") });
    assert.equal(fifth.cache.status, "unwritable");
    assert.equal(fifth.valid, first.valid);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
