/**
 * Fuzzing of the readers of files (issue 12; the rule is src/cli/testing/fuzz.ts): the corpus reader
 * (`--data`: any bytes — text, binary, broken UTF-8), the run-folder reader (config.json,
 * train_state.safetensors and model.safetensors of a real run, mutated) and `pe rope --config FILE`.
 * 10⁴ inputs each through the in-memory decoders the file readers call, then a share of them through
 * real files in a temp folder (the file path adds I/O, not parsing).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parseArgs } from "./args.js";
import { PE_CLI_METHODS } from "./pe/methods.js";
import { check, configLike, edgy, FUZZ_RUNS } from "./testing/fuzz.js";
import { decodeText, firstNonTextByte, loadTextData } from "../data/text.js";
import { tailSplit } from "../data/splits.js";
import { decodeCheckpoint, decodeTrainState } from "../model/checkpoint-codec.js";
import { loadRunCheckpoint, readRunConfig } from "../train/run-dir.js";
import { parseRunConfig } from "../train/run-format.js";
import { trainRun } from "../train/run.js";
import { createToyModel } from "../train/testing/toy-model.js";
import { toyCorpus } from "../train/testing/toy-data.js";
import { TOY_MODEL_JSON, toyTraining } from "../train/testing/toy-run.js";

/** Real files get this share of the runs (at least 200). */
const FILE_RUNS = Math.max(200, Math.floor(FUZZ_RUNS / 10));
const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

const corpusBytes = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  fc.string({ unit: "binary", maxLength: 60 }).map((s) => new Uint8Array(Buffer.from(s, "utf8"))),
  fc.tuple(fc.string({ unit: "binary", maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.nat(40)).map(([s, junk, at]) => {
    const b = Buffer.from(s, "utf8");
    const i = Math.min(at, b.length);
    return new Uint8Array(Buffer.concat([b.subarray(0, i), junk, b.subarray(i)]));
  }),
);

function isText(b: Uint8Array): boolean {
  try {
    utf8Fatal.decode(b);
  } catch {
    return false;
  }
  return !b.includes(0);
}

test(`fuzz: corpus reader (--data) — ${FUZZ_RUNS} byte strings: trained on exactly iff UTF-8 text, else refused at the first bad byte`, () => {
  check(corpusBytes, 12101, (b) => {
    const bad = firstNonTextByte(b);
    assert.equal(bad === -1, isText(b), `firstNonTextByte ${bad} vs TextDecoder`);
    if (bad >= 0) {
      assert.throws(() => decodeText(b, "d.txt", "data"), new RegExp(`is not UTF-8 text: .* at offset ${bad}$`));
      assert.ok(isText(b.subarray(0, bad)), "the bytes before the offset are text");
    }
    const text = decodeText(b, "d.txt", "data");
    assert.equal(text, Buffer.from(b).toString("utf8"));
    const s = tailSplit(text, 0.05, 0.05);
    assert.equal(s.train + s.valid + s.test, text, "the splits are the text, in order");
  });
  const dir = mkdtempSync(join(tmpdir(), "extrapos-fuzz-"));
  try {
    const file = join(dir, "data.txt");
    check(corpusBytes, 12102, (b) => {
      writeFileSync(file, b);
      const c = loadTextData({ data: file });
      assert.equal(c.train + c.valid + c.test, Buffer.from(b).toString("utf8"));
    }, FILE_RUNS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`fuzz: run-folder reader — ${FUZZ_RUNS} mutated config.json, train_state and model files are loaded or refused`, async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-fuzz-"));
  try {
    const run = join(dir, "run");
    await trainRun({ out: run, model: { ...TOY_MODEL_JSON }, training: toyTraining(4, 2), corpus: toyCorpus(), progress: false, createModel: createToyModel });
    const files = { config: readFileSync(join(run, "config.json")), state: readFileSync(join(run, "train_state.safetensors")), model: readFileSync(join(run, "model.safetensors")) };
    const cfgJson = JSON.parse(files.config.toString("utf8")) as Record<string, Record<string, unknown>>;
    const cfg = readRunConfig(run).model;
    const sections = ["model", "training", "data", "format", "format_version"] as const;
    const configText = fc.oneof(
      fc.tuple(fc.constantFrom(...sections), configLike([...Object.keys(cfgJson.model!), ...Object.keys(cfgJson.training!), "fingerprint", "train_tokens", "valid_tokens", "spec"]), fc.boolean())
        .map(([sec, patch, replace]) => JSON.stringify({ ...cfgJson, [sec]: replace ? patch : { ...(cfgJson[sec] as object), ...patch } })),
      fc.tuple(fc.constantFrom(...sections), edgy).map(([sec, v]) => JSON.stringify({ ...cfgJson, [sec]: v })),
      fc.string({ maxLength: 40 }),
      fc.nat(files.config.length).map((n) => files.config.subarray(0, n).toString("utf8")),
    );
    const mutate = (b: Buffer) => fc.tuple(fc.array(fc.tuple(fc.nat(b.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.option(fc.nat(b.length))).map(([edits, cut]) => {
      const out = new Uint8Array(b.subarray(0, cut ?? b.length));
      for (const [i, v] of edits) if (i < out.length) out[i] = v;
      return out;
    });
    const folder = fc.tuple(configText, mutate(files.state), mutate(files.model), fc.boolean());
    check(folder, 12103, ([text, state, model]) => {
      try {
        parseRunConfig(text, "config.json");
      } finally {
        try {
          decodeTrainState(state, "train_state.safetensors");
        } finally {
          decodeCheckpoint(model, "model.safetensors", cfg);
        }
      }
    });
    const target = join(dir, "target");
    mkdirSync(target);
    check(folder, 12104, ([text, state, model, withModel]) => {
      writeFileSync(join(target, "config.json"), text);
      writeFileSync(join(target, "train_state.safetensors"), state);
      if (withModel) writeFileSync(join(target, "model.safetensors"), model);
      else rmSync(join(target, "model.safetensors"), { force: true });
      try {
        readRunConfig(target);
      } finally {
        loadRunCheckpoint(target, cfg);
      }
    }, FILE_RUNS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fuzz: pe rope --config FILE — any file content is read or refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-fuzz-"));
  try {
    const file = join(dir, "config.json");
    const m = PE_CLI_METHODS.rope!;
    const content = fc.oneof(
      configLike(["rope_theta", "hidden_size", "num_attention_heads", "head_dim", "max_position_embeddings", "rope_scaling", "rope_type", "factor", "partial_rotary_factor"]).map((o) => JSON.stringify(o)),
      fc.constant(JSON.stringify({ rope_theta: 10000, hidden_size: 64, num_attention_heads: 4, max_position_embeddings: 2048 })),
      fc.string({ maxLength: 30 }),
      fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString("latin1")),
    );
    check(fc.tuple(content, fc.constantFrom([], ["--positions", "0,1,7"], ["--seq-len", "0"], ["--positions", "-1"], ["--float32"])), 12105, ([text, extra]) => {
      writeFileSync(file, text);
      JSON.stringify(m.compute(parseArgs(["--config", file, ...extra], m.options)));
    }, FILE_RUNS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
