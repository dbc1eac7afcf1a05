import { expect } from "vitest";
import type { FuzzHttpRequest } from "./http-requests.js";

export type WireDialect = "openai" | "anthropic";

/** What `fastify.inject` answers, as far as these checks read it. */
export interface InjectedAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

/** A hang is a failure naming the request that caused it, not a test timeout that names nothing. */
const HANG_MS = 30_000;

/**
 * Sends `request` and checks the HTTP edge's promise: a 2xx, or a 4xx in the route's dialect whose
 * message is no stack trace; never a 5xx; a stream is over only once its dialect says so.
 */
export async function expectHttpAnswer(
  request: FuzzHttpRequest,
  send: (request: FuzzHttpRequest) => Promise<InjectedAnswer>,
  dialectOf: (request: FuzzHttpRequest) => WireDialect,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS);
  });
  let response: InjectedAnswer;
  try {
    response = await Promise.race([send(request), hang]);
  } finally {
    clearTimeout(timer);
  }
  const seen = `${request.method} ${request.url.slice(0, 80)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode, seen).toBeLessThan(500);
  if (request.method === "HEAD") return;
  if (response.statusCode >= 400) expectErrorEnvelope(dialectOf(request), response.body, seen);
  const type = String(response.headers["content-type"] ?? "");
  if (response.statusCode === 200 && type.startsWith("text/event-stream")) {
    const end =
      dialectOf(request) === "anthropic"
        ? /event: (message_stop|error)\ndata: [^\n]*\n\n$/
        : /data: \[DONE\]\n\n$/;
    expect(response.body, seen).toMatch(end);
  }
}

function expectErrorEnvelope(dialect: WireDialect, body: string, seen: string): void {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  const error = parsed["error"] as Record<string, unknown> | undefined;
  if (dialect === "anthropic") expect(parsed["type"], seen).toBe("error");
  else expect(typeof error?.["code"], seen).toBe("string");
  expect(typeof error?.["type"], seen).toBe("string");
  const message = error?.["message"];
  expect(typeof message, seen).toBe("string");
  expect(message as string, seen).not.toMatch(/\n\s+at |\[object Object\]/);
}
