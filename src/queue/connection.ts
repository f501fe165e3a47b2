/**
 * The Redis behind a queued study: `redis://[user:pass@]host:port[/db]` or `rediss://…` (TLS), parsed
 * and checked here, so that a wrong URL, a refused connection or refused credentials is one clear line
 * (ExtraposError, exit 2) before anything is enqueued or written.
 *
 * Example:
 *   const target = parseRedisUrl("redis://:secret@10.0.0.5:6379/2");   // {host: "10.0.0.5", port: 6379, db: 2, …}
 *   await checkRedis(target);                                          // throws ExtraposError when unreachable
 *   const conn = openRedis(target);                                    // an ioredis client for BullMQ (reconnects forever)
 */
import { Redis, type RedisOptions } from "ioredis";
import { ExtraposError, show } from "../pe/errors.js";

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL without its password, for messages and files. */
  display: string;
}

const URL_HINT = "give --queue redis://[user:pass@]host:port[/db] (or rediss:// for TLS), e.g. redis://127.0.0.1:6379";

/** Parses a Redis URL (see the header); throws ExtraposError naming what is wrong. */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ExtraposError("invalid_argument", `--queue must be a redis:// or rediss:// URL, got ${show(url)}`, URL_HINT);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new ExtraposError("invalid_argument", `--queue must use the redis:// or rediss:// scheme, got ${show(u.protocol.replace(/:$/, ""))}`, URL_HINT);
  if (u.hostname === "") throw new ExtraposError("invalid_argument", `--queue ${show(url)} names no host`, URL_HINT);
  const port = u.port === "" ? 6379 : Number(u.port);
  const path = u.pathname.replace(/^\//, "");
  if (!/^\d{0,2}$/.test(path)) throw new ExtraposError("invalid_argument", `--queue database must be a number in [0, 99] after the last "/", got ${show(path)}`, URL_HINT);
  if (u.search !== "" || u.hash !== "") throw new ExtraposError("invalid_argument", `--queue takes no query or fragment, got ${show(u.search + u.hash)}`, URL_HINT);
  const username = decodeURIComponent(u.username), password = decodeURIComponent(u.password);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const display = `${u.protocol}//${username ? `${username}${password ? ":***" : ""}@` : password ? ":***@" : ""}${u.host}${path ? `/${path}` : ""}`;
  return { host, port, db: path === "" ? 0 : Number(path), ...(username ? { username } : {}), ...(password ? { password } : {}), tls: u.protocol === "rediss:", display };
}

function options(t: RedisTarget): RedisOptions {
  return {
    host: t.host, port: t.port, db: t.db, ...(t.username ? { username: t.username } : {}), ...(t.password ? { password: t.password } : {}),
    ...(t.tls ? { tls: { servername: t.host } } : {}),
  };
}

/**
 * An ioredis client for BullMQ: `maxRetriesPerRequest: null` (BullMQ's requirement) and reconnection
 * forever with a short back-off, so a Redis restart is ridden out (commands wait for the reconnect).
 */
export function openRedis(t: RedisTarget): Redis {
  const r = new Redis({ ...options(t), maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) });
  r.on("error", () => {}); // reconnects are silent; the coordinator and the worker report a lasting outage themselves
  return r;
}

/** One line for a failed connection attempt: refused, unknown host, credentials, TLS or time-out. */
export function connectionProblem(t: RedisTarget, e: unknown): ExtraposError {
  const err = e as { code?: string; message?: string };
  const msg = String(err?.message ?? e);
  const where = `Redis at ${t.display}`;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(msg)) return new ExtraposError("invalid_argument", `${where} refused the credentials (${msg.split("\n")[0]})`, "check the user and password in the --queue URL");
  if (err?.code === "ECONNREFUSED") return new ExtraposError("io", `cannot connect to ${where}: connection refused`, "is redis-server running there, on that port? (start one: redis-server --port 6379 --appendonly yes)");
  if (err?.code === "ENOTFOUND" || err?.code === "EAI_AGAIN") return new ExtraposError("io", `cannot connect to ${where}: unknown host ${show(t.host)}`, "check the host name in the --queue URL");
  if (/ERR DB index is out of range/i.test(msg)) return new ExtraposError("invalid_argument", `${where}: database ${t.db} does not exist on that server`, "use a smaller /db in the --queue URL");
  return new ExtraposError("io", `cannot connect to ${where}: ${msg.split("\n")[0]}`, "check the --queue URL and that the server accepts connections");
}

/** Connects once (no retries, `timeoutMs`), authenticates, selects the db and PINGs; throws `connectionProblem`. */
export async function checkRedis(t: RedisTarget, timeoutMs = 5000): Promise<void> {
  const r = new Redis({ ...options(t), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  let last: unknown;
  r.on("error", (e) => (last = e));
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    throw connectionProblem(t, last ?? e);
  } finally {
    r.disconnect();
  }
}
