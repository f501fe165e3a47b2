/**
 * `extrapos bench --queue URL` and `--resume DIR` of a queued study: the URL is parsed and the server
 * reached (credentials, database) before anything is written; then src/queue/coordinator.ts enqueues
 * the cells and follows them. A resumed queued bench takes its Redis from queue.json unless --queue is
 * given (needed when the URL had a password, which is never written to disk).
 */
import { randomBytes } from "node:crypto";
import { basename } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import type { BenchResults } from "../report/results.js";
import { checkRedis, parseRedisUrl, type RedisTarget } from "../queue/connection.js";
import { followStudy, loadStudy, newStudy, type FollowOptions, type StudyFile } from "../queue/coordinator.js";
import { getNumber, getString, type ParsedArgs } from "./args.js";

export interface QueuedBench {
  target: RedisTarget;
  study: StudyFile;
}

/** null = a local bench; otherwise the checked Redis and the study (new, or queue.json's on --resume). */
export async function prepareQueue(a: ParsedArgs, resume: string | undefined, dir: string): Promise<QueuedBench | null> {
  const url = getString(a, "queue");
  const attempts = getNumber(a, "attempts");
  if (attempts !== undefined && (attempts < 1 || attempts > 100)) throw new ExtraposError("invalid_argument", `--attempts must be an integer in [1, 100], got ${attempts}`);
  const stored = resume === undefined ? null : loadStudy(resume);
  if (url === undefined && stored === null) {
    if (attempts !== undefined) throw new ExtraposError("invalid_argument", "--attempts applies to a queued bench only (with --queue URL)");
    return null;
  }
  if (resume !== undefined && stored === null) throw new ExtraposError("invalid_argument", `--queue cannot reattach ${JSON.stringify(resume)}: it was a local bench (no queue.json)`, `resume it without --queue: extrapos bench --resume ${resume}`);
  if (url === undefined && stored!.redis.includes(":***@")) throw new ExtraposError("invalid_argument", `--resume ${JSON.stringify(resume)}: its Redis URL had a password, which is not stored`, `give it again: extrapos bench --resume ${resume} --queue ${stored!.redis}`);
  const target = parseRedisUrl(url ?? stored!.redis);
  await checkRedis(target);
  const study = stored ?? newStudy(`${basename(dir)}-${randomBytes(3).toString("hex")}`, target, attempts ?? 2);
  return { target, study: { ...study, redis: target.display } };
}

export function runQueued(q: QueuedBench, o: Omit<FollowOptions, "study" | "target">, resuming: boolean): Promise<BenchResults> {
  return followStudy({ ...o, study: q.study, target: q.target }, resuming);
}
