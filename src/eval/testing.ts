/** TEST-ONLY helpers: scripted fake models implementing just the parts of TrainableModel a test needs. */
import type { Decoder, EvalOptions, TokenBatch, TrainableModel } from "../model/lm.js";

export interface FakeModelParts {
  vocabSize?: number;
  nll?: (batch: TokenBatch, opts?: EvalOptions) => Float64Array;
  /** Next-token logits from the whole context fed so far. */
  logits?: (context: number[]) => Float32Array;
}

export interface FakeModel extends TrainableModel {
  /** Every `feed` call's tokens, per decoder. */
  feeds: number[][][];
  evalOptions: (EvalOptions | undefined)[];
}

function unsupported(name: string): never {
  throw new Error(`fake model: ${name} is not scripted`);
}

export function fakeModel(parts: FakeModelParts): FakeModel {
  const feeds: number[][][] = [];
  const evalOptions: (EvalOptions | undefined)[] = [];
  return {
    feeds,
    evalOptions,
    configJson: {},
    vocabSize: parts.vocabSize ?? 256,
    parameters: () => [],
    zeroGrad: () => undefined,
    forwardBackward: () => unsupported("forwardBackward"),
    optimizerStep: () => unsupported("optimizerStep"),
    optimizerState: () => unsupported("optimizerState"),
    loadOptimizerState: () => unsupported("loadOptimizerState"),
    nll(batch, opts) {
      evalOptions.push(opts);
      return parts.nll ? parts.nll(batch, opts) : unsupported("nll");
    },
    startDecoding(opts): Decoder {
      evalOptions.push(opts);
      const context: number[] = [];
      const mine: number[][] = [];
      feeds.push(mine);
      return {
        get length() { return context.length; },
        feed(tokens) {
          mine.push(Array.from(tokens));
          context.push(...tokens);
          return parts.logits ? parts.logits(context) : unsupported("logits");
        },
      };
    },
    dispose: () => undefined,
  };
}

/** Logits that make `id` the argmax (0 elsewhere, 10 at id). */
export function oneHotLogits(id: number, V = 256): Float32Array {
  const l = new Float32Array(V);
  l[id] = 10;
  return l;
}
