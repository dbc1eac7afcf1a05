import { validateResponsesEvents, type ResponsesEvent, type ValidateResponsesOptions } from "@cortex/core";
import { collectSse } from "@cortex/testkit";
import { expect } from "vitest";

/** One parsed event of a Responses stream, with the SSE event name it came under. */
export interface ResponsesWire {
  event: string | null;
  data: ResponsesEvent;
}

/** Reads a whole Responses SSE body and checks it against the event grammar (validateResponsesEvents). */
export async function readResponsesStream(
  response: Response,
  options: ValidateResponsesOptions = {},
): Promise<ResponsesEvent[]> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const wire = (await collectSse(response.body)).map((message): ResponsesWire => ({
    event: message.event ?? null,
    data: JSON.parse(message.data) as ResponsesEvent,
  }));
  expect(validateResponsesEvents(wire, options)).toEqual([]);
  return wire.map((message) => message.data);
}

/** The terminal event's response (the stream must have one). */
export function terminalOf(
  events: readonly ResponsesEvent[],
): Extract<ResponsesEvent, { response: unknown }> {
  const last = events.at(-1);
  if (!last || !("response" in last)) throw new Error(`the stream ended with ${String(last?.type)}`);
  return last;
}
