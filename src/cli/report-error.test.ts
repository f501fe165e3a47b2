/** Exit codes and the one-line rule (src/cli/report-error.ts), including environment errors and crashed threads. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { envError } from "../data/env-errors.js";
import { reportError } from "./report-error.js";

function report(e: unknown): { code: number; text: string } {
  let text = "";
  const code = reportError(e, { write: (s: string) => (text += s) });
  return { code, text };
}

function sysError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path, errno: -1 });
}

test("bad input: exit 2, one line with the hint", () => {
  const r = report(new ExtraposError("invalid_argument", "`x` must be\n 1", "try 1"));
  assert.deepEqual(r, { code: 2, text: "extrapos: `x` must be 1 — hint: try 1\n" });
});

test("environment errors: exit 2, one line naming the path and the cause (EACCES, EROFS, ENOSPC, EMFILE, ENOMEM, wasm memory)", () => {
  const cases: [unknown, RegExp][] = [
    [sysError("EACCES", "open", "/data/run/config.json"), /^extrapos: cannot open \/data\/run\/config\.json: permission denied \(EACCES\) — hint: /],
    [sysError("EROFS", "mkdir", "/mnt/ro/run"), /^extrapos: cannot create \/mnt\/ro\/run: the file system is read-only \(EROFS\)/],
    [sysError("ENOSPC", "write", "/data/run/model.safetensors.1.2.tmp"), /no space left on the device \(ENOSPC\) — hint: free some disk space .* completed checkpoints are intact/],
    [sysError("EMFILE", "open", "/x"), /too many open files \(EMFILE\)/],
    [sysError("ENOMEM", "mmap", "/x"), /out of memory \(ENOMEM\)/],
    [new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded"), /^extrapos: out of memory: .* — hint: .*4 GiB/],
  ];
  for (const [e, re] of cases) {
    const r = report(e);
    assert.equal(r.code, 2, r.text);
    assert.match(r.text, re);
    assert.equal(r.text.split("\n").length, 2);
  }
  assert.equal(envError(new TypeError("x is undefined")), null, "a bug is not an environment error");
  assert.equal(envError(sysError("ENOENT", "open", "/x")), null, "a missing file is named by the code that opens it");
});

test("not the user's fault: a crashed worker thread or a bug exits 1, one line, no stack unless EXTRAPOS_DEBUG=1", () => {
  const before = process.env.EXTRAPOS_DEBUG;
  delete process.env.EXTRAPOS_DEBUG;
  try {
    const t = report(new ExtraposError("thread_crash", "worker 1 trapped in kernel matmul: unreachable"));
    assert.equal(t.code, 1);
    assert.equal(t.text, "extrapos: a worker thread failed (not caused by your input): worker 1 trapped in kernel matmul: unreachable\n");
    const b = report(new TypeError("cannot read properties of undefined"));
    assert.equal(b.code, 1);
    assert.match(b.text, /^extrapos: internal error: cannot read properties of undefined \(run with EXTRAPOS_DEBUG=1 for the stack trace, and please report it\)\n$/);
    process.env.EXTRAPOS_DEBUG = "1";
    assert.match(report(new TypeError("boom")).text, /internal error: boom\nTypeError: boom\n    at /);
  } finally {
    if (before === undefined) delete process.env.EXTRAPOS_DEBUG;
    else process.env.EXTRAPOS_DEBUG = before;
  }
});
