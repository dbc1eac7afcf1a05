import type { ChatStreamEvent } from "../../canonical/chat-stream-event.js";
import type { UnifiedFinishReason, Usage } from "../../canonical/chat-response.js";
import type { NewId } from "../shared/translation.js";
import type { ResponsesTurn } from "./decode-responses-request.js";
import {
  customInput,
  encodeResponsesUsage,
  isWholeJson,
  responsesObject,
  terminalStatus,
  toolCallItem,
} from "./encode-responses-response.js";
import type { ToolOrigin } from "./responses-tool-names.js";
import type {
  ResponsesError,
  ResponsesEvent,
  ResponsesItemStatus,
  ResponsesObject,
  ResponsesOutputItem,
  ResponsesStatus,
} from "./responses-types.js";

export interface ResponsesStreamEncoderOptions {
  /** `resp_…`, minted by the caller (it may store the response under it). */
  responseId: string;
  /** The model string the client sent, echoed back. */
  requestedModel: string;
  turn: Pick<ResponsesTurn, "echo" | "names">;
  newId: NewId;
  /** Unix seconds: `created_at`. */
  createdAt: number;
}

export interface ResponsesStreamEncoder {
  /**
   * `response.created` and `response.in_progress` now, once (otherwise they go out with the `start`
   * event, carrying the prompt usage it may have).
   */
  open(): ResponsesEvent[];
  push(event: ChatStreamEvent): ResponsesEvent[];
  /** Ends the stream with `response.failed` (a failure after the 200 went out). */
  fail(error: ResponsesError): ResponsesEvent[];
  /** The backend stream is over (`[DONE]`/EOF): closes whatever is still open. */
  finish(): ResponsesEvent[];
  /** Whether a terminal event has been sent; every call after that returns []. */
  readonly ended: boolean;
  /** The final Response (completed, incomplete or failed), once the stream has ended. */
  readonly response: ResponsesObject | undefined;
  /** What was dropped or could not be repaired, for the caller to log. */
  readonly warnings: readonly string[];
}

type EventBody = ResponsesEvent extends infer E
  ? E extends ResponsesEvent
    ? Omit<E, "sequence_number">
    : never
  : never;

/** The item being streamed; its `.added` has gone out, its `.done` not yet. */
type OpenItem =
  | { kind: "message" | "reasoning"; index: number; id: string; text: string }
  | {
      kind: "tool";
      index: number;
      id: string;
      call: number;
      callId: string;
      name: string;
      origin: ToolOrigin;
      args: string;
    };

/** Where the response is: nothing sent → items streaming → waiting for usage → over. */
type Phase = "idle" | "streaming" | "finishing" | "ended";

/**
 * Canonical stream → Responses events, as a state machine that only emits valid sequences:
 * `response.created`, `response.in_progress`, then per output item `output_item.added` … `.done`
 * (one item open at a time, `output_index` 0..n-1, ids stable from added to done): a message as
 * `content_part.added`, `output_text.delta`s, `output_text.done`, `content_part.done`; reasoning the same
 * with `reasoning_text`, or, when the request asked for a summary, as `reasoning_summary_part.added`,
 * `reasoning_summary_text.delta`s, `.done`, `reasoning_summary_part.done`; a function call as `function_call_arguments.delta`s and `.done`; a custom tool
 * call as `custom_tool_call_input.delta`/`.done` (its raw input is only known once the call's JSON is
 * complete, so it comes in one delta); then exactly one terminal event: `response.completed`,
 * `response.incomplete` (the token limit: the cut item closes as `incomplete`, and a tool call whose
 * arguments are not whole JSON is never marked completed) or `response.failed`. A failure leaves an
 * open item without its `.done`, so no client runs half a tool call. `sequence_number` counts every
 * event from 0. Whitespace-only text or reasoning is held until real text follows, so it never opens
 * an item.
 */
export function createResponsesStreamEncoder(options: ResponsesStreamEncoderOptions): ResponsesStreamEncoder {
  let phase: Phase = "idle";
  let sequence = 0;
  let open: OpenItem | undefined;
  /** The open item's block has ended (see push). */
  let blockEnded = false;
  let held: { kind: "message" | "reasoning"; text: string } | undefined;
  const output: ResponsesOutputItem[] = [];
  const startedCalls = new Set<number>();
  let stop: UnifiedFinishReason | undefined;
  let usage: Usage | undefined;
  /** The prompt's usage from the `start` event, reported by `response.created` and `in_progress`. */
  let promptUsage: Usage | undefined;
  let final: ResponsesObject | undefined;
  const warnings: string[] = [];

  const emit = (out: ResponsesEvent[], body: EventBody): void => {
    out.push({ ...body, sequence_number: sequence++ } as ResponsesEvent);
  };
  const snapshot = (
    status: ResponsesStatus,
    extra: { incomplete?: "max_output_tokens" | "content_filter"; error?: ResponsesError } = {},
  ): ResponsesObject => {
    // In progress, only the prompt side is known (when the backend said it before the first token).
    const known = status === "in_progress" ? promptUsage : (usage ?? promptUsage);
    return responsesObject(options, {
      status,
      createdAt: options.createdAt,
      output: output.map((item) => structuredClone(item)),
      usage:
        known === undefined
          ? status === "in_progress"
            ? null
            : encodeResponsesUsage({ promptTokens: 0, completionTokens: 0 })
          : encodeResponsesUsage(known),
      ...extra,
    });
  };

  // ── transitions ──
  const begin = (out: ResponsesEvent[]): boolean => {
    if (phase === "idle") {
      phase = "streaming";
      const response = snapshot("in_progress");
      emit(out, { type: "response.created", response });
      emit(out, { type: "response.in_progress", response });
    }
    return phase === "streaming";
  };

  const openText = (kind: "message" | "reasoning", out: ResponsesEvent[]): OpenItem => {
    const index = output.length;
    const id = options.newId(kind === "message" ? "msg_" : "rs_");
    const style = textStyle(kind, options.turn);
    const item: ResponsesOutputItem =
      kind === "message"
        ? { type: "message", id, role: "assistant", status: "in_progress", content: [] }
        : {
            type: "reasoning",
            id,
            summary: [],
            ...(style === "reasoning_text" ? { content: [] } : {}),
            status: "in_progress",
          };
    output.push(item);
    emit(out, { type: "response.output_item.added", output_index: index, item: structuredClone(item) });
    emit(out, textEvents(style, { item_id: id, output_index: index }).added());
    return { kind, index, id, text: "" };
  };

  /** Sends the open item's closing events; `status` is what the item ends as. */
  const close = (out: ResponsesEvent[], status: ResponsesItemStatus): void => {
    const item = open;
    held = undefined;
    if (!item) return;
    open = undefined;
    const ref = { item_id: item.id, output_index: item.index };
    if (item.kind === "tool") {
      // An argument-less call still gets an object: clients parse the arguments before running the tool.
      if (item.origin.kind === "function" && item.args.trim() === "") {
        item.args = "{}";
        emit(out, { type: "response.function_call_arguments.delta", ...ref, delta: "{}" });
      }
      const done = toolCallItem(
        { id: item.callId, name: item.name, arguments: item.args },
        options,
        status,
        item.id,
      );
      if (done.type === "custom_tool_call") {
        if (done.input !== "")
          emit(out, { type: "response.custom_tool_call_input.delta", ...ref, delta: done.input });
        emit(out, { type: "response.custom_tool_call_input.done", ...ref, input: done.input });
      } else {
        emit(out, {
          type: "response.function_call_arguments.done",
          ...ref,
          name: done.name,
          arguments: done.arguments,
        });
      }
      output[item.index] = done;
    } else {
      const events = textEvents(textStyle(item.kind, options.turn), ref);
      for (const event of events.done(item.text)) emit(out, event);
      const done = output[item.index];
      if (done) {
        events.fill(done, item.text);
        done.status = status;
      }
    }
    emit(out, {
      type: "response.output_item.done",
      output_index: item.index,
      item: structuredClone(output[item.index]!),
    });
  };

  /** Text and reasoning share one rule: an item opens only once non-whitespace arrives. */
  const content = (kind: "message" | "reasoning", text: string, out: ResponsesEvent[]): void => {
    if (!begin(out) || text === "") return;
    let current = open;
    if (current?.kind !== kind) {
      const pending = (held?.kind === kind ? held.text : "") + text;
      if (pending.trim() === "") {
        held = { kind, text: pending };
        return;
      }
      close(out, "completed");
      current = openText(kind, out);
      open = current;
      text = pending;
    }
    if (current.kind !== "message" && current.kind !== "reasoning") return;
    current.text += text;
    const ref = { item_id: current.id, output_index: current.index };
    emit(out, textEvents(textStyle(kind, options.turn), ref).delta(text));
  };

  const toolStart = (
    event: Extract<ChatStreamEvent, { type: "tool-call-start" }>,
    out: ResponsesEvent[],
  ): void => {
    if (!begin(out)) return;
    if (startedCalls.has(event.index)) {
      warnings.push(`tool call ${event.index}: started twice; second start ignored`);
      return;
    }
    startedCalls.add(event.index);
    close(out, "completed");
    const index = output.length;
    const origin = options.turn.names.origin(event.name);
    // Codex pairs outputs with calls by call_id: one must exist (the backend may have sent none).
    const callId = event.id === "" ? options.newId("call_") : event.id;
    const item = toolCallItem({ id: callId, name: event.name, arguments: "" }, options, "in_progress");
    if (item.type === "custom_tool_call") item.input = "";
    output.push(item);
    open = {
      kind: "tool",
      index,
      id: item.id,
      call: event.index,
      callId,
      name: event.name,
      origin,
      args: "",
    };
    emit(out, { type: "response.output_item.added", output_index: index, item: structuredClone(item) });
  };

  const toolDelta = (
    event: Extract<ChatStreamEvent, { type: "tool-call-delta" }>,
    out: ResponsesEvent[],
  ): void => {
    if (!begin(out) || event.argumentsDelta === "") return;
    const current = open;
    if (current?.kind !== "tool" || current.call !== event.index) {
      warnings.push(`tool call ${event.index}: arguments arrived while its item was not open; dropped`);
      return;
    }
    current.args += event.argumentsDelta;
    // A custom tool's raw input is inside the JSON the model writes; it goes out whole at the end.
    if (current.origin.kind === "function") {
      emit(out, {
        type: "response.function_call_arguments.delta",
        item_id: current.id,
        output_index: current.index,
        delta: event.argumentsDelta,
      });
    }
  };

  /** streaming → finishing: close the open item, as cut or not. */
  const settle = (out: ResponsesEvent[]): void => {
    const cut = stop === "length";
    const current = open;
    const intact = current?.kind === "tool" && isWholeJson(current.args);
    close(out, cut && !intact ? "incomplete" : "completed");
    phase = "finishing";
  };

  /** finishing → ended: the terminal event. */
  const end = (out: ResponsesEvent[]): ResponsesEvent[] => {
    const { status, incomplete } = terminalStatus(stop ?? "stop");
    final = snapshot(status, incomplete ? { incomplete } : {});
    emit(out, {
      type: status === "incomplete" ? "response.incomplete" : "response.completed",
      response: final,
    });
    phase = "ended";
    return out;
  };

  const fail = (error: ResponsesError): ResponsesEvent[] => {
    if (phase === "ended") return [];
    const out: ResponsesEvent[] = [];
    begin(out);
    // An open item is left without its .done (no client acts on half an item); the record says so.
    const current = open;
    if (current) {
      const item = output[current.index];
      if (item) {
        item.status = "incomplete";
        if (current.kind !== "tool")
          textEvents(textStyle(current.kind, options.turn), {
            item_id: current.id,
            output_index: current.index,
          }).fill(item, current.text);
        if (item.type === "function_call" && current.kind === "tool") item.arguments = current.args;
        if (item.type === "custom_tool_call" && current.kind === "tool")
          item.input = customInput(current.args);
      }
      open = undefined;
    }
    final = snapshot("failed", { error });
    emit(out, { type: "response.failed", response: final });
    phase = "ended";
    return out;
  };

  return {
    get ended() {
      return phase === "ended";
    },
    get response() {
      return final;
    },
    warnings,

    open() {
      const out: ResponsesEvent[] = [];
      begin(out);
      return out;
    },

    push(event) {
      if (phase === "ended") return [];
      if (event.type === "error") return fail({ code: errorCode(event.code), message: event.message });
      const out: ResponsesEvent[] = [];
      // A block's end closes its item when the next event comes: if that is a `finish` for the token
      // limit, the item is the one cut, and closes as incomplete.
      if (blockEnded && event.type !== "finish") close(out, "completed");
      blockEnded = false;
      if (phase === "finishing") {
        if (event.type !== "usage") return [];
        usage = event.usage;
        return end(out);
      }
      switch (event.type) {
        case "start":
          if (phase === "idle" && event.usage) promptUsage = event.usage;
          begin(out);
          return out;
        case "text-start":
        case "reasoning-start":
          begin(out);
          return out;
        case "text-end":
        case "reasoning-end":
          if (open?.kind === (event.type === "text-end" ? "message" : "reasoning")) blockEnded = true;
          held = undefined;
          return out;
        case "tool-call-end":
          if (open?.kind === "tool" && open.call === event.index) blockEnded = true;
          return out;
        case "text-delta":
          content("message", event.text, out);
          return out;
        case "reasoning-delta":
          content("reasoning", event.text, out);
          return out;
        case "tool-call-start":
          toolStart(event, out);
          return out;
        case "tool-call-delta":
          toolDelta(event, out);
          return out;
        case "finish":
          if (!begin(out)) return out;
          stop = event.finishReason.unified;
          settle(out);
          // Usage that arrived early (out of canonical order) lets us end right away.
          return usage ? end(out) : out;
        case "usage":
          usage = event.usage;
          return out;
        default: {
          const unknown: never = event;
          return unknown;
        }
      }
    },

    fail,

    finish() {
      switch (phase) {
        case "ended":
          return [];
        case "idle":
          return fail({ code: "server_error", message: "the model stream ended before producing anything" });
        case "streaming": {
          // A stream cut off before any content is a failure, not an empty answer.
          if (output.length === 0) {
            return fail({ code: "server_error", message: "the model stream ended without any content" });
          }
          const out: ResponsesEvent[] = [];
          settle(out);
          return end(out);
        }
        case "finishing":
          return end([]);
        default: {
          const unknown: never = phase;
          return unknown;
        }
      }
    },
  };
}

type TextStyle = "message" | "reasoning_text" | "reasoning_summary";

/** How a text item streams: a message's output_text, raw reasoning_text, or reasoning as its summary. */
function textStyle(kind: "message" | "reasoning", turn: Pick<ResponsesTurn, "echo">): TextStyle {
  if (kind === "message") return "message";
  return turn.echo.reasoning.summary ? "reasoning_summary" : "reasoning_text";
}

/** The part, delta and done events of one text item (always one part: index 0), and its final content. */
function textEvents(style: TextStyle, ref: { item_id: string; output_index: number }) {
  const at = { item_id: ref.item_id, output_index: ref.output_index };
  switch (style) {
    case "message":
      return {
        added: (): EventBody => ({
          type: "response.content_part.added",
          ...at,
          content_index: 0,
          part: outputText(""),
        }),
        delta: (delta: string): EventBody => ({
          type: "response.output_text.delta",
          ...at,
          content_index: 0,
          delta,
          logprobs: [],
        }),
        done: (text: string): EventBody[] => [
          { type: "response.output_text.done", ...at, content_index: 0, text, logprobs: [] },
          { type: "response.content_part.done", ...at, content_index: 0, part: outputText(text) },
        ],
        fill: (item: ResponsesOutputItem, text: string): void => {
          if (item.type === "message") item.content = [outputText(text)];
        },
      };
    case "reasoning_text":
      return {
        added: (): EventBody => ({
          type: "response.content_part.added",
          ...at,
          content_index: 0,
          part: { type: "reasoning_text", text: "" },
        }),
        delta: (delta: string): EventBody => ({
          type: "response.reasoning_text.delta",
          ...at,
          content_index: 0,
          delta,
        }),
        done: (text: string): EventBody[] => [
          { type: "response.reasoning_text.done", ...at, content_index: 0, text },
          {
            type: "response.content_part.done",
            ...at,
            content_index: 0,
            part: { type: "reasoning_text", text },
          },
        ],
        fill: (item: ResponsesOutputItem, text: string): void => {
          if (item.type === "reasoning") item.content = [{ type: "reasoning_text", text }];
        },
      };
    case "reasoning_summary":
      return {
        added: (): EventBody => ({
          type: "response.reasoning_summary_part.added",
          ...at,
          summary_index: 0,
          part: { type: "summary_text", text: "" },
        }),
        delta: (delta: string): EventBody => ({
          type: "response.reasoning_summary_text.delta",
          ...at,
          summary_index: 0,
          delta,
        }),
        done: (text: string): EventBody[] => [
          { type: "response.reasoning_summary_text.done", ...at, summary_index: 0, text },
          {
            type: "response.reasoning_summary_part.done",
            ...at,
            summary_index: 0,
            part: { type: "summary_text", text },
          },
        ],
        fill: (item: ResponsesOutputItem, text: string): void => {
          if (item.type === "reasoning") item.summary = [{ type: "summary_text", text }];
        },
      };
    default: {
      const unknown: never = style;
      return unknown;
    }
  }
}

function outputText(text: string): { type: "output_text"; text: string; annotations: []; logprobs: [] } {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

/**
 * The `error.code` of `response.failed`: OpenAI's few codes that clients act on (Codex compacts on
 * `context_length_exceeded`, backs off on `rate_limit_exceeded`, retries the rest); everything else is
 * `server_error`.
 */
export function errorCode(code: string): string {
  if (code === "context_length_exceeded") return code;
  if (code === "rate_limited") return "rate_limit_exceeded";
  return "server_error";
}
