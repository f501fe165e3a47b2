// Does an extrapos checkpoint move to PyTorch? Saves a fresh model's checkpoint, loads it with
// `load_state_dict(strict=True)` into the PyTorch module of ../shared/peers/torch_debug_state.py, and
// compares the logits of both on the same tokens. Needs the build (npm run build), /usr/bin/python3
// with torch, and the peers folder (or EXTRAPOS_PEERS_DIR). Not part of `npm test` (CI has no torch).
// Usage: node scripts/torch-roundtrip.mjs [rope|alibi|sinusoidal|learned|none]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createModel, parseModelConfig } from "../dist/index.js";
import { saveCheckpoint } from "../dist/model/index.js";

const pe = process.argv[2] ?? "rope";
// The debug-state module lives outside the repository (a developer tool, not part of npm test or bench).
const peers = [process.env.EXTRAPOS_PEERS_DIR, join(import.meta.dirname ?? ".", "..", "..", "shared", "peers")].find((d) => d && existsSync(join(d, "torch_debug_state.py")));
if (!peers) throw new Error("shared/peers/torch_debug_state.py not found (set EXTRAPOS_PEERS_DIR)");
const dir = mkdtempSync(join(tmpdir(), "extrapos-roundtrip-"));
const cfg = parseModelConfig({ d_model: 32, n_layers: 2, n_heads: 2, context_length: 16, pe });
const model = await createModel(cfg, { seed: 3, threads: 1 });
const params = new Map(model.parameters().map((p) => [p.name, Float32Array.from(p.data)]));
saveCheckpoint(join(dir, "model.safetensors"), { config: cfg, params, step: 0 });
const ids = Int32Array.from({ length: 16 }, (_, i) => (i * 37 + 5) % 256);
writeFileSync(join(dir, "out.json"), JSON.stringify({ ids: Array.from(ids), logits: Array.from(model.logits(ids, 1, 16)) }));
await model.dispose();
const py = `
import json, struct, importlib.util, torch
spec = importlib.util.spec_from_file_location("tds", ${JSON.stringify(join(peers, "torch_debug_state.py"))})
tds = importlib.util.module_from_spec(spec); spec.loader.exec_module(tds)
raw = open(${JSON.stringify(join(dir, "model.safetensors"))}, "rb").read(); n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n]); base = 8 + n
sd = {k: torch.frombuffer(bytearray(raw[base + v["data_offsets"][0]:base + v["data_offsets"][1]]), dtype=torch.float32).reshape(v["shape"])
      for k, v in hdr.items() if k != "__metadata__"}
m = tds.LM(256, 32, 2, 2, 16, ${JSON.stringify(pe)}); m.load_state_dict(sd, strict=True)
o = json.load(open(${JSON.stringify(join(dir, "out.json"))}))
with torch.no_grad(): lt = m(torch.tensor([o["ids"]]))
err = (lt - torch.tensor(o["logits"]).reshape(lt.shape)).abs().max().item()
print(json.dumps({"pe": ${JSON.stringify(pe)}, "tensors": len(sd), "max_abs_logit_diff": err}))
raise SystemExit(0 if err < 1e-5 else 1)
`;
const r = spawnSync("/usr/bin/python3", ["-c", py], { encoding: "utf8" });
rmSync(dir, { recursive: true, force: true });
process.stdout.write(r.stdout);
if (r.status !== 0) { process.stderr.write(r.stderr); process.exit(1); }
