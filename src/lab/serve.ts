/**
 * A small static file server for the lab and the browser tests (Node only): files under `root` on
 * 127.0.0.1, with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 * require-corp` unless `isolate` is false (the page is then not cross-origin isolated, and the
 * engine runs single-threaded). With `runs`, GET /runs/ lists the run folders in it (JSON) and
 * /runs/<name>/<file> serves their files. Nothing outside `root` / `runs` is ever served.
 *
 * Example:
 *   const s = await serveStatic({ root: "dist/lab/static", port: 0 });
 *   console.log(s.url);   // http://127.0.0.1:40123/
 *   await s.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { ExtraposError } from "../pe/errors.js";

export interface ServeOptions {
  root: string;
  /** 0 = a free port. */
  port?: number;
  /** Send COOP/COEP (default true). */
  isolate?: boolean;
  /** A folder of runs to list and serve under /runs/. */
  runs?: string;
}

export interface StaticServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json", ".jsonl": "application/json", ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml", ".png": "image/png", ".wasm": "application/wasm", ".map": "application/json",
};

/** `rel` inside `base`, or null when it would leave it. */
function inside(base: string, rel: string): string | null {
  const p = resolve(base, "." + sep + normalize(decodeURIComponent(rel)).replace(/^([/\\])+/, ""));
  return p === base || p.startsWith(base + sep) ? p : null;
}

function listRuns(dir: string): { name: string; files: string[] }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, "config.json")))
    .sort()
    .map((name) => ({ name, files: readdirSync(join(dir, name)).filter((f) => statSync(join(dir, name, f)).isFile()).sort() }));
}

export async function serveStatic(o: ServeOptions): Promise<StaticServer> {
  const root = resolve(o.root);
  const runs = o.runs !== undefined ? resolve(o.runs) : undefined;
  if (!existsSync(join(root, "index.html"))) throw new ExtraposError("io", `nothing to serve: ${root} has no index.html`, "run `npm run build` first");
  const isolate = o.isolate ?? true;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const headers: Record<string, string> = { "Cache-Control": "no-store", "Cross-Origin-Resource-Policy": "same-origin" };
    if (isolate) Object.assign(headers, { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" });
    const send = (status: number, body: string | Uint8Array, type = "text/plain; charset=utf-8"): void => {
      res.writeHead(status, { ...headers, "Content-Type": type });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed");
    let path: string;
    try {
      path = new URL(req.url ?? "/", "http://localhost").pathname;
    } catch {
      return send(400, "bad request");
    }
    let file: string | null;
    if (path.startsWith("/runs/")) {
      if (path === "/runs/") return send(200, JSON.stringify(runs ? listRuns(runs) : []), TYPES[".json"]);
      if (!runs) return send(404, "no --runs folder");
      file = inside(runs, path.slice("/runs/".length));
    } else {
      file = inside(root, path.endsWith("/") ? path + "index.html" : path);
    }
    if (file === null || !existsSync(file) || !statSync(file).isFile()) return send(404, "not found");
    send(200, readFileSync(file), TYPES[extname(file)] ?? "application/octet-stream");
  };
  const server = createServer(handler);
  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) => fail(new ExtraposError("io", `cannot listen on 127.0.0.1:${o.port ?? 0}: ${e.code ?? e.message}`, e.code === "EADDRINUSE" ? "choose another --port" : undefined)));
    server.listen(o.port ?? 0, "127.0.0.1", () => ok());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
