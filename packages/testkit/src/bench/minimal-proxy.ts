import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool, type Dispatcher } from "undici";

const HOP_HEADERS = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "host",
  "te",
  "trailer",
]);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_HEADERS.has(name)) out[name] = value;
  return out;
}

/**
 * The floor for any Node reverse proxy: node:http in, one undici Pool out, request and response bodies
 * streamed through untouched. No routing, parsing, metrics or logging: what cortex is compared with.
 */
export async function startMinimalProxy(
  upstream: string,
  port = 0,
): Promise<{ url: string; close: () => Promise<void> }> {
  const pool = new Pool(upstream, { connections: 64, pipelining: 1 });
  const server = createServer((req, res) => {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const method = (req.method ?? "GET") as Dispatcher.HttpMethod;
    const options = { method, path: req.url ?? "/", headers: endToEnd(req.headers), signal: abort.signal };
    const body = method === "GET" || method === "HEAD" ? null : req;
    pool
      .stream({ ...options, body }, ({ statusCode, headers }) => res.writeHead(statusCode, endToEnd(headers)))
      .catch((error: unknown) => {
        if (res.headersSent) return void res.destroy(error as Error);
        res.writeHead(502, { "content-type": "text/plain" }).end(`upstream failed: ${String(error)}`);
      });
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await pool.close();
    },
  };
}
