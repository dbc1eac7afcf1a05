import { SseParser, type SseMessage } from "@cortex/core";
import OpenAI from "openai";
import { expect } from "vitest";
import type { FakeNeuron } from "../src/fake-neuron/index.js";

export function post(
  fake: FakeNeuron,
  path: string,
  body: unknown,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${fake.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

export async function getJson(fake: FakeNeuron, path: string): Promise<unknown> {
  const response = await fetch(`${fake.url}${path}`);
  expect(response.status).toBe(200);
  return response.json();
}

export function chat(model: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: "user", content: "three little words" }], ...extra };
}

/** Reads SSE messages until `count` have arrived, leaving the stream open. */
export async function readMessages(response: Response, count: number): Promise<SseMessage[]> {
  const reader = response.body!.getReader();
  const parser = new SseParser();
  const messages: SseMessage[] = [];
  while (messages.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    messages.push(...parser.push(value));
  }
  reader.releaseLock();
  return messages;
}

/** Reads SSE messages until the body fails, as a dropped connection makes it. */
export async function readUntilError(
  response: Response,
): Promise<{ messages: SseMessage[]; error: unknown }> {
  const reader = response.body!.getReader();
  const parser = new SseParser();
  const messages: SseMessage[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { messages, error: undefined };
      messages.push(...parser.push(value));
    }
  } catch (error) {
    return { messages, error };
  }
}

export function openai(fake: FakeNeuron): OpenAI {
  return new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: "unused", maxRetries: 0 });
}
