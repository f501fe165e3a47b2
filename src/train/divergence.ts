/**
 * Divergence guards of the training loop: a step whose loss or gradient norm is not finite, a loss
 * that has exploded, or parameters that are not finite or have exploded stop the run with one line
 * naming the step, the quantity and a hint — and nothing is saved over the last good checkpoint.
 *
 * Limits (what trusted trainers treat as divergence: PyTorch Lightning's `detect_anomaly`/NaN checks,
 * Megatron's skipped NaN/Inf iterations):
 *   loss          not finite, or > LOSS_LIMIT nats per token (a uniform guess costs ln V ≈ 5.5 for
 *                 bytes, 10.8 for GPT-2's vocabulary: 1000 nats means the model assigns e^−1000)
 *   gradient norm not finite (the models refuse the update: parameters are left unchanged)
 *   parameters    not finite, or |w| > PARAM_LIMIT (AdamW moves a weight by about lr per step: 1e6 is
 *                 out of reach of any sane run; float32 products of such weights overflow soon)
 * `skipNonFinite` (training.skip_nonfinite, --skip-nonfinite N): up to N steps whose loss or gradient
 * norm is not finite are skipped (no update; the step counts, as in Megatron) before the run stops.
 *
 * Example: `checkParams(model.parameters(), 12)` throws `non_finite` naming the first bad tensor.
 */
import { ExtraposError } from "../pe/errors.js";
import type { NamedTensor } from "../model/lm.js";

export const LOSS_LIMIT = 1e3;
export const PARAM_LIMIT = 1e6;

/** Context for the messages: the run folder, the last checkpoint written and the learning rate. */
export interface GuardContext {
  runDir: string;
  lastCheckpoint: number | null;
  lr: number;
}

function hint(c: GuardContext): string {
  const kept = c.lastCheckpoint === null
    ? "no checkpoint was written, nothing is saved"
    : `the last good checkpoint (step ${c.lastCheckpoint}) in ${c.runDir} is kept and resumable`;
  return `lower --lr (now ${c.lr}) and keep --clip on, or --skip-nonfinite N to skip rare bad steps; ${kept}`;
}

export function divergence(step: number, quantity: string, c: GuardContext): ExtraposError {
  return new ExtraposError("non_finite", `training diverged at step ${step}: ${quantity}`, hint(c));
}

/** Throws when the loss of `step` is not finite or exploded. */
export function checkLoss(loss: number, step: number, c: GuardContext): void {
  if (!Number.isFinite(loss)) throw divergence(step, `the training loss is ${loss}`, c);
  if (loss > LOSS_LIMIT) throw divergence(step, `the training loss is ${loss.toPrecision(3)} nats per token (limit ${LOSS_LIMIT})`, c);
}

/** Throws when a parameter is not finite or |w| > PARAM_LIMIT (checked before every checkpoint). */
export function checkParams(params: readonly NamedTensor[], step: number, c: GuardContext): void {
  for (const p of params) {
    const d = p.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (!(v <= PARAM_LIMIT && v >= -PARAM_LIMIT)) {
        throw divergence(step, `parameter \`${p.name}\`[${i}] is ${Number.isFinite(v) ? v.toPrecision(3) : v} (limit |w| ≤ ${PARAM_LIMIT})`, c);
      }
    }
  }
}

/** The quantity named by a `non_finite` error raised inside a step (kernel or optimizer), for the message. */
export function quantityOf(e: ExtraposError): string {
  return e.message.replace(/^optimizerStep: /, "").replace(/ at step \d+/, "");
}
