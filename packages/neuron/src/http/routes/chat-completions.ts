import {
  createOpenAIChunkEncoder,
  decodeOpenAIChatRequest,
  encodeOpenAIChatResponse,
  type CanonicalChatRequest,
} from "@cortex/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { NeuronContext } from "../neuron-context.js";
import { runGeneration } from "../run-generation.js";

export async function chatCompletions(
  ctx: NeuronContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const { value: chat } = decodeOpenAIChatRequest(request.body);
  const id = ctx.newId("chatcmpl-");
  const created = Math.floor(ctx.now() / 1000);
  const encoder = createOpenAIChunkEncoder({
    id,
    model: chat.model,
    created,
    includeUsage: chat.includeUsage,
    includePromptUsage: chat.includePromptUsage === true,
  });
  const forceToolCall = forcedToolCall(ctx, request, chat);
  return runGeneration(ctx, request, reply, {
    model: chat.model,
    endpoint: "chat",
    stream: chat.stream,
    ...(forceToolCall === undefined ? {} : { forceToolCall }),
    ...(forcedThought(ctx, request) ? { forceThought: true } : {}),
    start: { type: "start", id, model: chat.model, created },
    generate: (model, options) => model.chat(chat, options),
    encodeEvent: (event) => encoder.encode(event),
    encodeResult: (result) =>
      encodeOpenAIChatResponse({
        id,
        model: chat.model,
        created,
        text: result.text,
        toolCalls: result.toolCalls,
        finishReason: result.finishReason,
        ...(result.stopSequence === undefined ? {} : { stopSequence: result.stopSequence }),
        ...(result.reasoning === undefined ? {} : { reasoning: result.reasoning }),
        usage: result.usage,
      }),
  });
}

function forcedToolCall(
  ctx: NeuronContext,
  request: FastifyRequest,
  chat: CanonicalChatRequest,
): string | undefined {
  if (chat.tools.length === 0 || chat.toolChoice.type === "none") return undefined;
  const header = request.headers["x-cortex-force-tool-call"];
  if (ctx.testHooks && typeof header === "string" && header !== "") return header;
  // Only on a fresh user turn, so a client that runs the tool and sends the result gets an answer.
  const last = chat.messages.at(-1);
  return last?.role === "user" ? ctx.forceToolCallDefault : undefined;
}

/** Test-only: random weights never think, so a test asks for a thought segment to see reasoning carried. */
function forcedThought(ctx: NeuronContext, request: FastifyRequest): boolean {
  if (!ctx.testHooks) return false;
  return request.headers["x-cortex-force-thought"] === "1" || ctx.forceThoughtDefault;
}
