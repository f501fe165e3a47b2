/** TEST-ONLY: the toy run configuration shared by trainer tests and the child-process entry. */
export const TOY_MODEL_JSON = { model: "lstm", d_model: 8, n_layers: 1, n_heads: 1, context_length: 16, pe: "none" } as const;

export function toyTraining(steps: number, checkpointEvery: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { batch: 4, steps, lr: 3e-2, warmup: 3, eval_every: 5, eval_windows: 4, checkpoint_every: checkpointEvery, log_every: 1, seed: 11, ...extra };
}
