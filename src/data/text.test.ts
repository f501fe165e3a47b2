import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { loadCorpus } from "./corpus.js";
import { globToRegExp, loadTextData, resolveTextFiles, tailSplit } from "./text.js";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "extrapos-text-"));
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), body);
  }
  return root;
}

function throwsExtrapos(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof ExtraposError && pattern.test(e.message) && !e.message.includes("\n"));
}

test("glob → regexp: *, ?, ** and literal characters (hand-written cases)", () => {
  const cases: [string, string, boolean][] = [
    ["*.txt", "a.txt", true], ["*.txt", "a/b.txt", false], ["*.txt", ".hidden.txt", false], ["*.txt", "a.txtx", false],
    ["a?.txt", "ab.txt", true], ["a?.txt", "a.txt", false], ["**/*.txt", "a.txt", true], ["**/*.txt", "x/y/a.txt", true],
    ["x/**/b.txt", "x/b.txt", true], ["x/**/b.txt", "x/1/2/b.txt", true], ["x/**/b.txt", "y/b.txt", false],
    ["a+b(1).txt", "a+b(1).txt", true], ["a+b(1).txt", "aab1.txt", false], ["**", "p/q", true], ["**/*.txt", ".git/a.txt", false],
  ];
  for (const [g, p, want] of cases) assert.equal(globToRegExp(g).test(p), want, `${g} vs ${p}`);
});

test("file, folder and glob resolve to sorted file lists", () => {
  const root = tree({ "b.txt": "B", "a.txt": "A", "notes.md": "N", "sub/c.txt": "C", "sub/deep/d.txt": "D", ".hid/e.txt": "E" });
  try {
    assert.deepEqual(resolveTextFiles(join(root, "a.txt"), "data"), [join(root, "a.txt")]);
    assert.deepEqual(resolveTextFiles(root, "data"), [join(root, "a.txt"), join(root, "b.txt")]);
    assert.deepEqual(resolveTextFiles(join(root, "*.txt"), "data"), [join(root, "a.txt"), join(root, "b.txt")]);
    assert.deepEqual(resolveTextFiles(join(root, "**/*.txt"), "data"), ["a.txt", "b.txt", "sub/c.txt", "sub/deep/d.txt"].map((f) => join(root, f)));
    assert.deepEqual(resolveTextFiles(join(root, "sub/*/*.txt"), "data"), [join(root, "sub/deep/d.txt")]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("tail split: fractions of the text, test last, surrogate pairs never cut", () => {
  assert.deepEqual(tailSplit("0123456789", 0.2, 0.1), { train: "0123456", valid: "78", test: "9" });
  assert.deepEqual(tailSplit("0123456789", 0, 0), { train: "0123456789", valid: "", test: "" });
  // "😀" is two UTF-16 units; a cut at index 3 would fall between them and moves back to 2.
  const s = tailSplit("ab😀cdef", 0, 0.625);
  assert.equal(s.train + s.test, "ab😀cdef");
  assert.equal(s.train, "ab");
  throwsExtrapos(() => tailSplit("x", 0.6, 0.5), /validFraction \+ testFraction/);
  throwsExtrapos(() => tailSplit("x", -0.1, 0), /validFraction/);
});

test("loadTextData: carved or given valid/test; files joined with a newline", () => {
  const root = tree({ "a.txt": "first file\n", "train/a.txt": "first file\n", "train/b.txt": "second", "v.txt": "valid text", "t.txt": "test text" });
  try {
    const both = loadTextData({ data: join(root, "train", "?.txt"), valid: join(root, "v.txt"), test: join(root, "t.txt") });
    assert.equal(both.train, "first file\n\nsecond");
    assert.equal(both.valid, "valid text");
    assert.equal(both.test, "test text");
    assert.deepEqual(both.carved, { valid: false, test: false });
    const carved = loadTextData({ data: join(root, "a.txt"), validFraction: 0.1, testFraction: 0.1 });
    assert.equal(carved.train + carved.valid + carved.test, "first file\n");
    assert.equal(carved.test, "\n");
    assert.equal(carved.valid, "e");
    const d = loadCorpus({ kind: "text", data: join(root, "a.txt"), test: join(root, "t.txt"), validFraction: 0.5 });
    assert.equal(d.test, "test text");
    assert.equal(d.train + d.valid, "first file\n");
    assert.match(d.description, /valid: tail of --data; test: 1 file/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("missing, unmatched, empty or too-short data: one-line ExtraposError naming the flag", () => {
  const root = tree({ "empty.txt": "", "blank.txt": " \n\t\n", "tiny.txt": "ab", "only.md": "x", "ok.txt": "some text here" });
  try {
    throwsExtrapos(() => loadTextData({ data: join(root, "nope.txt") }), /^--data file ".*nope\.txt" does not exist$/);
    throwsExtrapos(() => loadTextData({ data: join(root, "*.csv") }), /^--data glob .* matches no files$/);
    throwsExtrapos(() => loadTextData({ data: join(root, "empty.txt") }), /^--data .*empty\.txt" is empty/);
    throwsExtrapos(() => loadTextData({ data: join(root, "blank.txt") }), /is empty/);
    throwsExtrapos(() => loadTextData({ data: "" }), /--data must name a file/);
    throwsExtrapos(() => loadTextData({ data: join(root, "tiny.txt") }), /too short .* to carve a valid split/);
    throwsExtrapos(() => loadTextData({ data: join(root, "ok.txt"), valid: join(root, "empty.txt") }), /^--valid .* is empty/);
    throwsExtrapos(() => loadTextData({ data: join(root, "ok.txt"), test: join(root, "missing") }), /^--test file/);
    const emptyDir = join(root, "d");
    mkdirSync(emptyDir);
    throwsExtrapos(() => loadTextData({ data: emptyDir }), /folder .* contains no \.txt files/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
