import { once } from "node:events";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedExchange {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  status?: number;
  /** The whole response body as the client received it (SSE text for streams). */
  response: string;
}

export interface RecordingProxy {
  url: string;
  exchanges: RecordedExchange[];
  close(): Promise<void>;
}

/**
 * A transparent HTTP proxy in front of the gateway that keeps every request and response, so a test can
 * look at what a real client (Claude Code) sent and got. Bytes are passed through unchanged, streamed.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: RecordedExchange[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const exchange: RecordedExchange = {
        method: request.method ?? "GET",
        url: request.url ?? "/",
        headers: request.headers,
        body: body.toString(),
        response: "",
      };
      exchanges.push(exchange);
      const upstream = httpRequest(
        new URL(exchange.url, target),
        { method: exchange.method, headers: request.headers },
        (answer) => {
          exchange.status = answer.statusCode;
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.on("data", (chunk: Buffer) => {
            exchange.response += chunk.toString();
            response.write(chunk);
          });
          answer.on("end", () => response.end());
        },
      );
      upstream.on("error", () => response.destroy());
      upstream.end(body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
