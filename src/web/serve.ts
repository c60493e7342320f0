// `retoken playground` without --build: the static site served from memory on localhost (the same files --build
// writes; the server only hands them out).
import { createServer, type Server } from "node:http";
import { playgroundFiles } from "./site.js";

const TYPES: Record<string, string> = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" };

/** Starts the server on 127.0.0.1 (`port` 0: any free port) and resolves with it and its URL. */
export async function servePlayground(port: number): Promise<{ server: Server; url: string }> {
  const files = await playgroundFiles();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname).replace(/^\/+/, "") || "index.html";
    const body = files.get(path);
    if (body === undefined || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(body === undefined ? 404 : 405, { "content-type": "text/plain" }).end(body === undefined ? `not found: /${path}\n` : "GET only\n");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.split(".").pop()!] ?? "application/octet-stream", "cache-control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" ? new Error(`playground: port ${port} is in use (choose another with --port)`) : e));
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  return { server, url: `http://127.0.0.1:${actual}/` };
}
