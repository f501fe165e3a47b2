/**
 * A queued study's cells and their job payloads. A cell is one training and its evaluation: a trained
 * method at one seed (`alibi-s0`). The eval-only variants of a method (rope-yarn, rope-linear: the rope
 * model evaluated with scaling) are one further cell per seed (`rope-s0+variants`), queued as the
 * parent of their base's cell in a BullMQ flow, so that it runs only once the model exists.
 *
 * A payload is plain JSON (no code, no paths): the study id, the cell's methods and seed, and the plan
 * in file form. Workers check it with the same parser as `extrapos bench --resume` (planFromJson →
 * resolvePlan's checks and every method's model config); anything else fails the job with the reason.
 *
 * Example:
 *   cellsOf(resolvePlan({ methods: ["alibi", "rope-yarn"], seeds: 2 })).map((c) => c.id)
 *   → ["alibi-s0", "rope-s0", "rope-s0+variants", "alibi-s1", "rope-s1", "rope-s1+variants"]
 */
import { ExtraposError, show } from "../pe/errors.js";
import { planFromJson, planToJson, trainedMethodOf, withBases, type BenchPlan } from "../report/plan.js";
import { benchMethod, isBenchMethod, type BenchMethodName } from "../report/presets.js";

export interface Cell {
  /** `<method>-s<seed>` for a training, `<base>-s<seed>+variants` for eval-only variants. */
  id: string;
  /** Methods whose results the cell produces (one trained method, or the variants of one base). */
  methods: BenchMethodName[];
  seed: number;
  /** The run folder the cell trains or reads, `<base>-s<seed>`. */
  run: string;
  /** The cell that trains the model this one evaluates (variants only). */
  after: string | null;
}

/** A job's data. */
export interface CellPayload {
  format: "extrapos-cell";
  version: 1;
  study: string;
  cell: { id: string; methods: string[]; seed: number };
  plan: Record<string, unknown>;
}

/** Study ids become folder names on every worker: letters, digits, ".", "_", "-"; no leading dot. */
const STUDY_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,79}$/;
/** Payloads are small (a plan and a few names); anything larger is refused unread. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

export function isStudyId(s: unknown): s is string {
  return typeof s === "string" && STUDY_ID.test(s) && !s.includes("..");
}

/** The result ids (`<method>-s<seed>`) a cell produces. */
export function resultIds(c: Pick<Cell, "methods" | "seed">): string[] {
  return c.methods.map((m) => `${m}-s${c.seed}`);
}

/** Cells in plan order: per seed, each trained method, then (if any) its variants' cell. */
export function cellsOf(plan: BenchPlan): Cell[] {
  const out: Cell[] = [];
  for (const seed of plan.seeds) {
    for (const m of plan.methods) {
      if (benchMethod(m).kind !== "trained") continue;
      const run = `${m}-s${seed}`;
      out.push({ id: run, methods: [m], seed, run, after: null });
      const variants = plan.methods.filter((v) => v !== m && trainedMethodOf(v) === m);
      if (variants.length > 0) out.push({ id: `${run}+variants`, methods: variants, seed, run, after: run });
    }
  }
  return out;
}

export function payloadOf(study: string, plan: BenchPlan, c: Cell): CellPayload {
  return { format: "extrapos-cell", version: 1, study, cell: { id: c.id, methods: c.methods, seed: c.seed }, plan: planToJson(plan) };
}

function bad(message: string): ExtraposError {
  return new ExtraposError("invalid_argument", `invalid job payload: ${message}`);
}

/** A checked payload: the plan is exactly the study's, the cell one of `cellsOf(plan)`. */
export interface ParsedPayload {
  study: string;
  plan: BenchPlan;
  cell: Cell;
}

/** Checks a job's data (see the header); throws ExtraposError("invalid_argument", "invalid job payload: …"). */
export function parsePayload(data: unknown): ParsedPayload {
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(data) ?? "");
  } catch {
    throw bad("not plain JSON");
  }
  if (size > MAX_PAYLOAD_BYTES) throw bad(`${size} bytes, more than the ${MAX_PAYLOAD_BYTES} a cell needs`);
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw bad(`must be an object, got ${show(data)}`);
  const d = data as Record<string, unknown>;
  if (d.format !== "extrapos-cell" || d.version !== 1) throw bad(`\`format\`/\`version\` must be "extrapos-cell"/1, got ${show(d.format)}/${show(d.version)}`);
  if (!isStudyId(d.study)) throw bad(`\`study\` must match ${STUDY_ID} (it names a folder), got ${show(d.study)}`);
  const c = d.cell as Record<string, unknown> | null;
  if (typeof c !== "object" || c === null) throw bad(`\`cell\` must be an object, got ${show(c)}`);
  if (!Array.isArray(c.methods) || c.methods.length === 0 || !c.methods.every((m) => typeof m === "string" && isBenchMethod(m))) throw bad(`\`cell.methods\` must list bench methods, got ${show(c.methods)}`);
  if (!Number.isInteger(c.seed)) throw bad(`\`cell.seed\` must be an integer, got ${show(c.seed)}`);
  let plan: BenchPlan;
  try {
    plan = planFromJson(d.plan, "payload.plan");
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  const cell = cellsOf(plan).find((x) => x.id === c.id);
  if (!cell || cell.seed !== c.seed || JSON.stringify(cell.methods) !== JSON.stringify(c.methods)) throw bad(`\`cell\` ${show(c)} is not a cell of its plan`);
  withBases(cell.methods); // every variant's base is known
  return { study: d.study, plan, cell };
}
