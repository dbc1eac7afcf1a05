import { SseParser } from "@cortex/core";
import { request, type Dispatcher } from "undici";
import {
  checkErrorResponse,
  checkJsonAnswer,
  checkStream,
  type StreamMessage,
  type Verdict,
} from "./soak-checks.js";
import { toHttpCall, type SoakRequestSpec } from "./soak-requests.js";

/** One request as its client saw it end. */
export type SoakOutcome =
  | Verdict
  /** The client gave up on purpose (the mix's aborts). */
  | { readonly kind: "aborted" }
  /** No end within the deadline: the client had to give up. Must never happen. */
  | { readonly kind: "hung"; readonly reason: string };

export interface SoakResult {
  readonly spec: SoakRequestSpec;
  readonly scenario: string;
  readonly outcome: SoakOutcome;
  readonly ms: number;
}

class ClientGaveUp extends Error {}
class Hung extends Error {}

/**
 * Sends one request and reads it to its end (or to the planned abort), then judges what came back.
 * `hungAfterMs` is the deadline for the whole exchange: past it the request counts as hung.
 */
export async function runSoakRequest(
  baseUrl: string,
  dispatcher: Dispatcher,
  spec: SoakRequestSpec,
  hungAfterMs: number,
): Promise<SoakOutcome> {
  const call = toHttpCall(spec);
  const controller = new AbortController();
  let phase = "waiting for the response headers";
  const hung = setTimeout(
    () => controller.abort(new Hung(`no end after ${hungAfterMs} ms while ${phase}`)),
    hungAfterMs,
  );
  const timer =
    spec.abort.kind === "timer"
      ? setTimeout(() => controller.abort(new ClientGaveUp()), spec.abort.afterMs)
      : undefined;
  try {
    const response = await request(`${baseUrl}${call.path}`, {
      method: "POST",
      headers: call.headers,
      body: call.body,
      signal: controller.signal,
      dispatcher,
    });
    const type = String(response.headers["content-type"] ?? "");
    if (response.statusCode !== 200) {
      phase = "reading an error body";
      return checkErrorResponse(spec.dialect, response.statusCode, await response.body.text());
    }
    if (!spec.stream) {
      phase = "reading the answer";
      const body = await response.body.text();
      if (!type.startsWith("application/json")) return { kind: "bad", reason: `200 answer of type ${type}` };
      return checkJsonAnswer(spec.dialect, body);
    }
    if (!type.startsWith("text/event-stream")) {
      await response.body.dump();
      return { kind: "bad", reason: `200 stream of type ${type}` };
    }
    phase = "reading the stream";
    const parser = new SseParser();
    const messages: StreamMessage[] = [];
    let content = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      for (const message of parser.push(chunk)) {
        messages.push({ event: message.event ?? "message", data: message.data });
        if (isContent(message.data)) content++;
      }
      if (spec.abort.kind === "mid-stream" && content >= spec.abort.afterEvents) {
        controller.abort(new ClientGaveUp());
        return { kind: "aborted" };
      }
    }
    for (const message of parser.end())
      messages.push({ event: message.event ?? "message", data: message.data });
    return checkStream(spec.dialect, messages);
  } catch (error) {
    const reason: unknown = controller.signal.reason;
    if (reason instanceof Hung) return { kind: "hung", reason: reason.message };
    if (reason instanceof ClientGaveUp) return { kind: "aborted" };
    // The gateway closed the connection without an answer: never a correct ending.
    return { kind: "bad", reason: `transport error while ${phase}: ${(error as Error).message}` };
  } finally {
    clearTimeout(hung);
    clearTimeout(timer);
  }
}

/** Content deltas of any of the three dialects (text arriving), to place mid-stream aborts. */
function isContent(data: string): boolean {
  return (
    data.includes('"delta":{"content"') ||
    data.includes('"type":"text_delta"') ||
    data.includes('"type":"response.output_text.delta"')
  );
}
