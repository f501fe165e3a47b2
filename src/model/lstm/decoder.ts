/**
 * Incremental decoding for the LSTM: the "KV cache" of a recurrent model is just its state (h, c) per
 * layer, 2·layers·H floats, so decoding has no length limit and costs the same per token at any depth.
 *
 * `feed(tokens)` runs the forward-only layers over the new tokens (one batch row, T = tokens.length)
 * starting from the kept state, keeps the final state and returns the logits [V] after the last token.
 * Feeding a sequence in any split gives the full forward's last logits (tested), except for the
 * `adaptive` encoding, whose normaliser L is the window length in a full forward but, since the final
 * length is unknown while generating, the training context length here (equal when T = context length).
 *
 * The state is kept in JS between calls (copied into the engine per call), so the model may train or
 * evaluate between two `feed`s without disturbing a decoder.
 *
 * Example:
 *   const dec = model.startDecoding();
 *   let logits = dec.feed(promptIds);            // Float32Array [V]
 *   logits = dec.feed(Int32Array.of(nextId));    // dec.length === promptIds.length + 1
 */
import { ExtraposError, show } from "../../pe/errors.js";
import type { Decoder } from "../lm.js";
import { headRowForward } from "./head.js";
import type { LstmModel } from "./model.js";

const F32 = 4;

export class LstmDecoder implements Decoder {
  private readonly model: LstmModel;
  private readonly h: Float32Array;
  private readonly c: Float32Array;
  private position = 0;

  constructor(model: LstmModel) {
    this.model = model;
    const n = model.cfg.nLayers * model.cfg.dModel;
    this.h = new Float32Array(n);
    this.c = new Float32Array(n);
  }

  get length(): number {
    return this.position;
  }

  feed(tokens: Int32Array): Float32Array {
    const m = this.model, cfg = m.cfg, V = cfg.vocabSize, H = cfg.dModel;
    m.alive();
    if (!(tokens instanceof Int32Array) || tokens.length === 0) {
      throw new ExtraposError("invalid_argument", `Decoder.feed: \`tokens\` must be a non-empty Int32Array, got ${tokens instanceof Int32Array ? "an empty one" : show(tokens)}`);
    }
    for (let i = 0; i < tokens.length; i++) {
      if (!(tokens[i]! >= 0 && tokens[i]! < V)) throw new ExtraposError("invalid_argument", `Decoder.feed: token ids must be in [0, ${V}), got ${tokens[i]} at index ${i}`);
    }
    const T = tokens.length;
    const a = m.workspace.acquire("eval", 1, T);
    m.uploadWindow(a, { B: 1, T, inputs: tokens, targets: null, positions: undefined, offset: this.position, L: cfg.contextLength });
    a.f32("state.h").set(this.h);
    a.f32("state.c").set(this.c);
    const hTop = m.forwardEval(a, 1, T, true);
    this.h.set(a.f32("state.h"));
    this.c.set(a.f32("state.c"));
    const buf = m.headBuffers(a, hTop);
    headRowForward(m.engine, buf, hTop + (T - 1) * H * F32, H, V);
    this.position += T;
    return a.f32("logits").slice(0, V);
  }
}
