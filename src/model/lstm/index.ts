/**
 * `src/model/lstm/`: the seed's baseline LM (embedding → n-layer LSTM → linear) on the engine.
 * `createLstm(cfg, { engine, seed, params? })` returns a `TrainableModel` (src/model/lm.ts); see model.ts.
 */
export { ADAM_M, ADAM_V, createLstm, LstmModel, type LstmOptions } from "./model.js";
