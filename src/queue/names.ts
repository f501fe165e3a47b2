/** The BullMQ queue every study and worker uses (jobs carry their study id; one Redis can hold many studies). */
export const QUEUE_NAME = "extrapos-cells";

/** A job's id: the study, the cell, and the generation (a failed cell re-queued by `--resume` gets the next). */
export function jobId(study: string, cell: string, generation: number): string {
  return `${study}.${cell}.g${generation}`;
}
