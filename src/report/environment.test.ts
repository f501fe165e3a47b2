/**
 * The commit in results.json: read from the git files (HEAD, loose refs, packed-refs, a worktree's common
 * directory) without the git program, checked against real git repositories made by `git` in temp folders.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectEnvironment, gitCommit, gitDirty, gitSource, PACKAGE_ROOT } from "./environment.js";

const HAS_GIT = spawnSync("git", ["--version"]).status === 0;
const SHA_A = "0123456789abcdef0123456789abcdef01234567", SHA_B = "89abcdef0123456789abcdef0123456789abcdef";

function temp(): string {
  return mkdtempSync(join(tmpdir(), "extrapos-git-"));
}

test("outside a checkout: commit and dirty are null", () => {
  const dir = temp();
  try {
    assert.deepEqual(gitSource(dir), { commit: null, dirty: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("commit from the git files: loose ref, packed-refs, detached HEAD, a worktree's .git file and common directory", () => {
  const dir = temp();
  try {
    const git = join(dir, "repo", ".git");
    mkdirSync(join(git, "refs", "heads"), { recursive: true });
    writeFileSync(join(git, "HEAD"), "ref: refs/heads/main\n");
    assert.equal(gitCommit(join(dir, "repo")), null, "a branch without commits");
    writeFileSync(join(git, "packed-refs"), `# pack-refs with: peeled fully-peeled sorted\n${SHA_B} refs/heads/other\n${SHA_A} refs/heads/main\n`);
    assert.equal(gitCommit(join(dir, "repo")), SHA_A, "packed");
    writeFileSync(join(git, "refs", "heads", "main"), `${SHA_B}\n`);
    assert.equal(gitCommit(join(dir, "repo")), SHA_B, "a loose ref wins over packed-refs");
    // a worktree: .git is a file naming its folder under the main repository's .git/worktrees, whose
    // commondir leads back to the shared refs
    const wt = join(git, "worktrees", "wt");
    mkdirSync(wt, { recursive: true });
    writeFileSync(join(wt, "HEAD"), "ref: refs/heads/other\n");
    writeFileSync(join(wt, "commondir"), "../..\n");
    mkdirSync(join(dir, "wt"));
    writeFileSync(join(dir, "wt", ".git"), `gitdir: ${wt}\n`);
    assert.equal(gitCommit(join(dir, "wt")), SHA_B, "the worktree's branch, from the common packed-refs");
    writeFileSync(join(wt, "HEAD"), `${SHA_A}\n`);
    assert.equal(gitCommit(join(dir, "wt")), SHA_A, "detached");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a missing git program: dirty is null, not an exception", () => {
  assert.equal(gitDirty(PACKAGE_ROOT, join(tmpdir(), "no-such-git-program")), null);
});

test("against real git: the commit git reports, dirty once a tracked file changes (untracked files do not count)", { skip: HAS_GIT ? false : "git is not installed" }, () => {
  const dir = temp();
  try {
    const run = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, encoding: "utf8" }).trim();
    run("init", "-q");
    writeFileSync(join(dir, "a.txt"), "1\n");
    run("add", "a.txt");
    run("commit", "-q", "-m", "one");
    assert.deepEqual(gitSource(dir), { commit: run("rev-parse", "HEAD"), dirty: false });
    writeFileSync(join(dir, "untracked.txt"), "x\n");
    assert.equal(gitDirty(dir), false, "an untracked file (e.g. a reports/ folder) leaves the tree clean");
    writeFileSync(join(dir, "a.txt"), "2\n");
    assert.equal(gitDirty(dir), true);
    run("commit", "-q", "-am", "two");
    run("pack-refs", "--all");
    assert.deepEqual(gitSource(dir), { commit: run("rev-parse", "HEAD"), dirty: false }, "after pack-refs");
    // this repository itself, when the tests run from a checkout
    const here = spawnSync("git", ["rev-parse", "HEAD"], { cwd: PACKAGE_ROOT, encoding: "utf8" });
    if (here.status === 0) assert.equal(collectEnvironment().git?.commit, here.stdout.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
