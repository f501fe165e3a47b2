/**
 * TEST-ONLY: a small bigram language model in plain JavaScript that implements `TrainableModel`
 * exactly, so that the trainer, resume, evaluation and generation are tested with real gradients,
 * a real AdamW and real decoding, without the engine.
 *
 * Model: it holds every tensor of `paramTable(config)` (so its checkpoints are valid extrapos
 * checkpoints of that config) but uses only these:
 *   E = tok_emb.weight [V, d];  W = head.weight [V, d] if the table has it, else E (tied head);
 *   b = head.bias [V] if present, else 0.
 *   logits(x_t) = W · E[x_t] + b        (the previous token alone: a factorised bigram model)
 * Loss: mean cross-entropy over targets ≥ 0 (float64 softmax), gradients accumulated × gradScale.
 * Optimizer: AdamW in float64 arithmetic on float32 storage (PyTorch formulas, β = (0.9, 0.95),
 * ε = 1e-8, weight decay 0.1 on every tensor), clip_grad_norm_ semantics (coef = max/(norm + 1e-6)).
 * `stepDelayMs` (optional) blocks each forwardBackward that long, so a test can kill a run mid-way;
 * `onBatch` sees every training batch.
 *
 * Example: `const m = createToyModel(parseModelConfig({ model: "lstm", d_model: 8, n_layers: 1, pe: "none" }), { seed: 1 })`
 */
import { ExtraposError } from "../../pe/errors.js";
import { paramTable, initParams } from "../../model/params.js";
import { modelConfigToJson, type ModelConfig } from "../../model/config.js";
import type { Decoder, NamedTensor, TokenBatch, TrainableModel } from "../../model/lm.js";

export interface ToyOptions {
  seed: number;
  params?: Map<string, Float32Array>;
  threads?: number;
  stepDelayMs?: number;
  /** Called with every training batch (tests inspect inputs and position ids). */
  onBatch?: (batch: TokenBatch) => void;
}

const BETA1 = 0.9, BETA2 = 0.95, EPS = 1e-8, WEIGHT_DECAY = 0.1;

function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class ToyBigramModel implements TrainableModel {
  readonly configJson: Record<string, unknown>;
  readonly vocabSize: number;
  private readonly names: string[];
  private readonly params: Map<string, Float32Array>;
  private readonly grads: Map<string, Float64Array>;
  private readonly m: Map<string, Float32Array>;
  private readonly v: Map<string, Float32Array>;
  private readonly shapes: Map<string, number[]>;
  private step = 0;
  private readonly d: number;
  private readonly headName: string;
  private readonly biasName: string | null;
  disposed = false;

  constructor(readonly config: ModelConfig, private readonly opts: ToyOptions) {
    this.configJson = modelConfigToJson(config);
    this.vocabSize = config.vocabSize;
    this.d = config.dModel;
    const table = paramTable(config);
    this.names = table.map((p) => p.name);
    this.shapes = new Map(table.map((p) => [p.name, [...p.shape]]));
    const init = initParams(table, opts.seed);
    this.params = new Map(table.map((p) => [p.name, Float32Array.from(opts.params?.get(p.name) ?? init.get(p.name)!)]));
    this.grads = new Map(table.map((p) => [p.name, new Float64Array(this.params.get(p.name)!.length)]));
    this.m = new Map(table.map((p) => [p.name, new Float32Array(this.params.get(p.name)!.length)]));
    this.v = new Map(table.map((p) => [p.name, new Float32Array(this.params.get(p.name)!.length)]));
    this.headName = this.params.has("head.weight") ? "head.weight" : "tok_emb.weight";
    this.biasName = this.params.has("head.bias") ? "head.bias" : null;
  }

  parameters(): NamedTensor[] {
    return this.names.map((name) => ({ name, shape: this.shapes.get(name)!, data: this.params.get(name)! }));
  }

  zeroGrad(): void {
    for (const g of this.grads.values()) g.fill(0);
  }

  /** log-softmax of the logits after token `x`, float64. */
  logProbs(x: number): Float64Array {
    const E = this.params.get("tok_emb.weight")!, W = this.params.get(this.headName)!;
    const b = this.biasName ? this.params.get(this.biasName)! : null;
    const V = this.vocabSize, d = this.d;
    const out = new Float64Array(V);
    let max = -Infinity;
    for (let v = 0; v < V; v++) {
      let s = b ? b[v]! : 0;
      for (let k = 0; k < d; k++) s += W[v * d + k]! * E[x * d + k]!;
      out[v] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(out[v]! - max);
    const lse = max + Math.log(z);
    for (let v = 0; v < V; v++) out[v]! -= lse;
    return out;
  }

  forwardBackward(batch: TokenBatch, gradScale: number): number {
    sleepMs(this.opts.stepDelayMs ?? 0);
    this.opts.onBatch?.(batch);
    const E = this.params.get("tok_emb.weight")!, W = this.params.get(this.headName)!;
    const dE = this.grads.get("tok_emb.weight")!, dW = this.grads.get(this.headName)!;
    const db = this.biasName ? this.grads.get(this.biasName)! : null;
    const V = this.vocabSize, d = this.d;
    let count = 0;
    for (let i = 0; i < batch.B * batch.T; i++) if (batch.targets[i]! >= 0) count++;
    if (count === 0) return NaN;
    let loss = 0;
    for (let i = 0; i < batch.B * batch.T; i++) {
      const y = batch.targets[i]!;
      if (y < 0) continue;
      const x = batch.inputs[i]!;
      const lp = this.logProbs(x);
      loss -= lp[y]!;
      for (let v = 0; v < V; v++) {
        const g = ((Math.exp(lp[v]!) - (v === y ? 1 : 0)) * gradScale) / count;
        if (db) db[v]! += g;
        for (let k = 0; k < d; k++) {
          dW[v * d + k]! += g * E[x * d + k]!;
          dE[x * d + k]! += g * W[v * d + k]!;
        }
      }
    }
    return loss / count;
  }

  optimizerStep(lr: number, maxGradNorm: number): number {
    let sq = 0;
    for (const g of this.grads.values()) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(norm)) throw new ExtraposError("non_finite", `the gradient norm is ${norm}; parameters left unchanged`);
    const coef = Math.min(1, maxGradNorm / (norm + 1e-6));
    this.step++;
    const bc1 = 1 - BETA1 ** this.step, bc2 = 1 - BETA2 ** this.step;
    for (const name of this.names) {
      const p = this.params.get(name)!, g = this.grads.get(name)!, m = this.m.get(name)!, v = this.v.get(name)!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * coef;
        let pi = p[i]! * (1 - lr * WEIGHT_DECAY);
        m[i] = BETA1 * m[i]! + (1 - BETA1) * gi;
        v[i] = BETA2 * v[i]! + (1 - BETA2) * gi * gi;
        pi -= ((lr / bc1) * m[i]!) / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + EPS);
        p[i] = pi;
      }
    }
    return norm;
  }

  optimizerState(): { step: number; tensors: NamedTensor[] } {
    const tensors: NamedTensor[] = [];
    for (const name of this.names) {
      tensors.push({ name: `m.${name}`, shape: this.shapes.get(name)!, data: this.m.get(name)! });
      tensors.push({ name: `v.${name}`, shape: this.shapes.get(name)!, data: this.v.get(name)! });
    }
    return { step: this.step, tensors };
  }

  loadOptimizerState(state: { step: number; tensors: NamedTensor[] }): void {
    this.step = state.step;
    for (const t of state.tensors) {
      const [kind, ...rest] = t.name.split(".");
      const target = (kind === "m" ? this.m : this.v).get(rest.join("."));
      if (!target || target.length !== t.data.length) throw new Error(`toy model: unexpected optimizer tensor ${t.name}`);
      target.set(t.data);
    }
  }

  nll(batch: TokenBatch): Float64Array {
    const out = new Float64Array(batch.B * batch.T);
    for (let i = 0; i < out.length; i++) {
      const y = batch.targets[i]!;
      out[i] = y < 0 ? NaN : -this.logProbs(batch.inputs[i]!)[y]!;
    }
    return out;
  }

  startDecoding(): Decoder {
    let length = 0;
    const model = this;
    return {
      get length() { return length; },
      feed(tokens: Int32Array): Float32Array {
        if (tokens.length === 0) throw new Error("toy decoder: feed needs at least one token");
        length += tokens.length;
        return Float32Array.from(model.logProbs(tokens[tokens.length - 1]!));
      },
    };
  }

  dispose(): void {
    this.disposed = true;
  }
}

/** Same signature as the real `createModel` (src/model/factory.ts), for dependency injection. */
export async function createToyModel(config: ModelConfig, opts: ToyOptions): Promise<ToyBigramModel> {
  return new ToyBigramModel(config, opts);
}
