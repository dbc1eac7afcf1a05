import type { IncomingMessage, ServerResponse } from "node:http";
import {
  CortexError,
  LoadRequestSchema,
  TokenizeRequestSchema,
  UnloadRequestSchema,
  type LifecycleResponse,
  type TokenizeResponse,
} from "@cortex/core";
import { noCapacity } from "./fake-chat-completions.js";
import type { FakeNode } from "./fake-node.js";
import { fakeTokenIds, messagesText, words } from "./fake-tokens.js";
import { readJsonBody, sendJson } from "./http-json.js";
import { watchClient } from "./watch-client.js";

/** `POST /models/load`: idempotent; callers that arrive during a load wait for that same load. */
export async function fakeLoad(node: FakeNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parse(LoadRequestSchema, await readJsonBody(req));
  const slot = node.slot(body.model);
  const loaded = slot.acquire(watchClient(req, res, () => {}).signal);
  // Counted only once the request is inside the slot, so a test that sees the count knows it is waiting.
  node.countLoadRequest(body.model);
  (await loaded).release();
  sendJson(res, 200, { model: node.describe(slot) } satisfies LifecycleResponse);
}

/** `POST /models/unload`: waits for in-flight requests, or aborts them with `force`. */
export async function fakeUnload(node: FakeNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parse(UnloadRequestSchema, await readJsonBody(req));
  const slot = node.slot(body.model);
  await slot.unload(body.force === true);
  sendJson(res, 200, { model: node.describe(slot) } satisfies LifecycleResponse);
}

/** `POST /tokenize`: one token per word of the messages' text; the model is loaded on demand like the real one. */
export async function fakeTokenize(node: FakeNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (node.knobs.status503) throw noCapacity(node);
  const body = parse(TokenizeRequestSchema, await readJsonBody(req));
  const lease = await node.slot(body.model).acquire(watchClient(req, res, () => {}).signal);
  lease.release();
  const tokens = words("prompt" in body ? body.prompt : messagesText(body.messages));
  sendJson(res, 200, {
    model: body.model,
    count: tokens.length,
    tokens: fakeTokenIds(tokens),
  } satisfies TokenizeResponse);
}

interface SafeParser<T> {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

function parse<T>(schema: SafeParser<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.map(String).join(".") || "body"}: ${issue.message}`,
  );
  throw new CortexError("invalid_request", `invalid request body: ${problems.join("; ")}`);
}
