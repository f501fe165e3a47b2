// The parameter block of attentionForward / attentionBackward (one struct in wasm memory instead of
// ~25 positional numbers; written by attention.ts in ATTENTION_PARAM_FIELDS order: every field is 4
// bytes, so field i sits at byte 4·i) and the per-(b, h) state the kernels' helpers share (in the
// (b, h)'s scratch slot, passed explicitly: no module globals).

@unmanaged
export class AttentionCall {
  out: usize; lse: usize; q: usize; k: usize; v: usize; scratch: usize;
  dq: usize; dk: usize; dv: usize; dBias: usize; dout: usize;
  biasMode: i32; bias: usize; maxDist: i32; posIds: usize; posBatchStride: i32;
  T: i32; NH: i32; HS: i32; scale: f32; window: i32; q0: i32; q1: i32; BQ: i32; BK: i32;
  dilation: usize; globalTokens: i32;
}

// Floats reserved for a HeadState at the end of every (b, h) scratch slot.
export const HEAD_STATE_FLOATS = 16;

@unmanaged
export class HeadState {
  biasMode: i32;
  bias: usize; // toeplitz: table row of head h; dense: bias slab of head h
  maxDist: i32;
  pos: usize; // position ids row of batch b (0 = none)
  denseRow0: i32; // first query of the dense bias block (q0)
  denseKeys: i32; // key columns of the dense bias block (q1)
  window: i32; // index span of the window: (W − 1)·d + 1 (0 = full causal)
  dil: i32; // dilation d of head h: the window keeps the keys i, i − d, i − 2d, …
  global: i32; // the first G keys are visible to every later query (0 = none)
  extra: bool; // dilation > 1 or global tokens: per-element visibility masks
}
