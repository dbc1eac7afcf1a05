import { asRecord } from "../shared/translation.js";

/**
 * An independent checker of the Responses streaming grammar, written from OpenAI's event reference
 * (openai-node 6.30 `ResponseStreamEvent`) and from what clients require (Codex CLI: an
 * `output_item.done` per item and one terminal event whose `response.id` is set; the SDK's
 * `ResponseStream`: `response.created` first, parts added before their deltas), not from the encoder.
 * The tests run it on every stream the gateway emits.
 */

export interface ResponsesWireEvent {
  /** The SSE `event:` name, when the transport had one. */
  event?: string | null;
  data: unknown;
}

export interface ValidateResponsesOptions {
  /** Require a terminal event (the stream is over). Default true. */
  complete?: boolean;
  /** Require every completed function call's arguments to parse as a JSON object. */
  toolJson?: boolean;
}

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);
const ITEM_STATUS = new Set(["completed", "incomplete"]);

interface Part {
  type: string;
  text: string;
  done: boolean;
}

interface Item {
  index: number;
  id: string;
  type: string;
  name?: string;
  parts: Part[];
  /** A reasoning item's summary parts. */
  summaries: Part[];
  args: string;
  argsDone: boolean;
  done?: Record<string, unknown>;
}

/** Returns every problem found (empty: the stream is well formed). */
export function validateResponsesEvents(
  events: readonly ResponsesWireEvent[],
  options: ValidateResponsesOptions = {},
): string[] {
  const problems: string[] = [];
  const items: Item[] = [];
  let open: Item | undefined;
  let responseId: string | undefined;
  let terminal: string | undefined;
  let sawInProgress = false;

  events.forEach((wire, position) => {
    const at = `event ${position}`;
    const data = asRecord(wire.data);
    if (!data) {
      problems.push(`${at}: data is not an object`);
      return;
    }
    const type = str(data.type);
    const say = (problem: string) => problems.push(`${at} (${type}): ${problem}`);
    if (wire.event !== undefined && wire.event !== null && wire.event !== type)
      say(`SSE event name ${JSON.stringify(wire.event)} differs from type`);
    if (data.sequence_number !== position)
      say(`sequence_number ${String(data.sequence_number)}, expected ${position}`);
    if (terminal !== undefined) say(`event after the terminal ${terminal}`);
    if (position === 0 && type !== "response.created") say("the first event must be response.created");

    const response = asRecord(data.response);
    if (TERMINAL.has(type) || type === "response.created" || type === "response.in_progress") {
      // response.created / in_progress / completed / incomplete / failed carry the whole Response.
      if (!response) say("missing response");
      else {
        const id = str(response.id);
        if (id === "") say("response.id is empty");
        responseId ??= id;
        if (id !== responseId) say(`response.id ${id} differs from ${responseId}`);
        if (response.object !== "response") say('response.object is not "response"');
      }
    }

    const item = (): Item | undefined => {
      const index = data.output_index;
      if (!open) {
        say("no output item is open");
        return undefined;
      }
      if (index !== open.index) say(`output_index ${String(index)} but item ${open.index} is open`);
      if ("item_id" in data && data.item_id !== open.id)
        say(`item_id ${String(data.item_id)} but ${open.id} is open`);
      return open;
    };
    const part = (target: Item, partType: string): Part | undefined => {
      const found = target.parts[Number(data.content_index)];
      if (!found) {
        say(`no content part ${String(data.content_index)}`);
        return undefined;
      }
      if (found.type !== partType) say(`content part is ${found.type}, not ${partType}`);
      if (found.done) say("content part already done");
      return found;
    };

    switch (type) {
      case "response.created":
        if (position !== 0) say("response.created must come first, once");
        checkStatus(response, "in_progress", say);
        break;
      case "response.in_progress":
        if (sawInProgress || items.length > 0) say("response.in_progress must come once, before any item");
        sawInProgress = true;
        checkStatus(response, "in_progress", say);
        break;
      case "response.output_item.added": {
        const added = asRecord(data.item);
        if (open) say(`item ${open.index} is still open`);
        if (data.output_index !== items.length)
          say(`output_index ${String(data.output_index)}, expected ${items.length}`);
        if (!added) {
          say("missing item");
          break;
        }
        if (str(added.id) === "") say("item.id is empty");
        if (added.status !== "in_progress") say(`added item status ${String(added.status)}`);
        const next: Item = {
          index: items.length,
          id: str(added.id),
          type: str(added.type),
          name: str(added.name),
          parts: [],
          summaries: [],
          args: "",
          argsDone: false,
        };
        if (!["message", "reasoning", "function_call", "custom_tool_call"].includes(next.type))
          say(`unexpected item type ${next.type}`);
        if ((next.type === "function_call" || next.type === "custom_tool_call") && str(added.call_id) === "")
          say("call_id is empty");
        items.push(next);
        open = next;
        break;
      }
      case "response.content_part.added": {
        const target = item();
        const added = asRecord(data.part);
        if (!target || !added) break;
        const expected =
          target.type === "message" ? "output_text" : target.type === "reasoning" ? "reasoning_text" : "";
        if (str(added.type) !== expected) say(`a ${target.type} item cannot hold a ${str(added.type)} part`);
        if (data.content_index !== target.parts.length)
          say(`content_index ${String(data.content_index)}, expected ${target.parts.length}`);
        if (str(added.text) !== "") say("a part must be added empty");
        target.parts.push({ type: str(added.type), text: "", done: false });
        break;
      }
      case "response.output_text.delta":
      case "response.reasoning_text.delta": {
        const target = item();
        const found =
          target && part(target, type === "response.output_text.delta" ? "output_text" : "reasoning_text");
        if (found) found.text += str(data.delta);
        if (typeof data.delta !== "string" || data.delta === "") say("empty delta");
        break;
      }
      case "response.output_text.done":
      case "response.reasoning_text.done": {
        const target = item();
        const found =
          target && part(target, type === "response.output_text.done" ? "output_text" : "reasoning_text");
        if (found && str(data.text) !== found.text) say("text differs from the deltas");
        break;
      }
      case "response.content_part.done": {
        const target = item();
        const done = asRecord(data.part);
        const found = target && done && part(target, str(done.type));
        if (found && done) {
          if (str(done.text) !== found.text) say("part text differs from the deltas");
          found.done = true;
        }
        break;
      }
      case "response.reasoning_summary_part.added": {
        const target = item();
        const added = asRecord(data.part);
        if (!target || !added) break;
        if (target.type !== "reasoning") say(`a ${target.type} item has no summary`);
        if (data.summary_index !== target.summaries.length)
          say(`summary_index ${String(data.summary_index)}, expected ${target.summaries.length}`);
        if (str(added.type) !== "summary_text" || str(added.text) !== "")
          say("a summary part must be added empty");
        target.summaries.push({ type: "summary_text", text: "", done: false });
        break;
      }
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_summary_text.done":
      case "response.reasoning_summary_part.done": {
        const target = item();
        const found = target?.summaries[Number(data.summary_index)];
        if (!target) break;
        if (!found || found.done) {
          say(`summary part ${String(data.summary_index)} is not open`);
          break;
        }
        if (type === "response.reasoning_summary_text.delta") {
          if (typeof data.delta !== "string" || data.delta === "") say("empty delta");
          found.text += str(data.delta);
        } else if (type === "response.reasoning_summary_text.done") {
          if (str(data.text) !== found.text) say("text differs from the deltas");
        } else {
          if (str(asRecord(data.part)?.text) !== found.text) say("part text differs from the deltas");
          found.done = true;
        }
        break;
      }
      case "response.function_call_arguments.delta":
      case "response.custom_tool_call_input.delta": {
        const target = item();
        const kind = type === "response.function_call_arguments.delta" ? "function_call" : "custom_tool_call";
        if (target && target.type !== kind) say(`open item is a ${target.type}`);
        if (target?.argsDone) say("delta after .done");
        if (target) target.args += str(data.delta);
        break;
      }
      case "response.function_call_arguments.done":
      case "response.custom_tool_call_input.done": {
        const target = item();
        const kind = type === "response.function_call_arguments.done" ? "function_call" : "custom_tool_call";
        if (!target) break;
        if (target.type !== kind) say(`open item is a ${target.type}`);
        const whole = kind === "function_call" ? str(data.arguments) : str(data.input);
        if (whole !== target.args) say("arguments differ from the deltas");
        if (kind === "function_call" && str(data.name) !== target.name)
          say("name differs from the added item");
        target.argsDone = true;
        break;
      }
      case "response.output_item.done": {
        const target = item();
        const done = asRecord(data.item);
        if (!target || !done) {
          if (!done) say("missing item");
          break;
        }
        if (str(done.id) !== target.id) say(`item id ${str(done.id)} differs from the added ${target.id}`);
        if (str(done.type) !== target.type) say("item type changed");
        if (!ITEM_STATUS.has(str(done.status))) say(`done item status ${String(done.status)}`);
        if ([...target.parts, ...target.summaries].some((found) => !found.done)) say("a part is still open");
        checkItemContent(target, done, say, options);
        target.done = done;
        open = undefined;
        break;
      }
      case "response.completed":
      case "response.incomplete":
      case "response.failed":
        terminal = type;
        if (response) checkTerminal(type, response, items, open, say);
        break;
      default:
        say("not an event the gateway may send");
    }
  });

  if ((options.complete ?? true) && terminal === undefined) problems.push("the stream has no terminal event");
  return problems;
}

function checkItemContent(
  target: Item,
  done: Record<string, unknown>,
  say: (problem: string) => void,
  options: ValidateResponsesOptions,
): void {
  switch (target.type) {
    case "message":
    case "reasoning": {
      const content = Array.isArray(done.content) ? done.content.map(asRecord) : [];
      if (content.length !== target.parts.length) say("item content differs from its parts");
      content.forEach((part, index) => {
        if (str(part?.text) !== target.parts[index]?.text)
          say(`content[${index}] text differs from the deltas`);
      });
      if (target.type === "reasoning") {
        if (!Array.isArray(done.summary)) say("reasoning item without summary array");
        const summary = Array.isArray(done.summary) ? done.summary.map(asRecord) : [];
        if (summary.length !== target.summaries.length) say("item summary differs from its summary parts");
        summary.forEach((part, index) => {
          if (str(part?.text) !== target.summaries[index]?.text)
            say(`summary[${index}] text differs from the deltas`);
        });
      }
      break;
    }
    case "function_call":
      if (!target.argsDone) say("function_call_arguments.done missing");
      if (str(done.arguments) !== target.args) say("item arguments differ from the deltas");
      if (options.toolJson && done.status === "completed" && !isJsonObject(target.args))
        say(`completed call's arguments are not a JSON object: ${target.args.slice(0, 80)}`);
      break;
    case "custom_tool_call":
      if (!target.argsDone) say("custom_tool_call_input.done missing");
      if (str(done.input) !== target.args) say("item input differs from the deltas");
      break;
    default:
      break;
  }
}

function checkTerminal(
  type: string,
  response: Record<string, unknown>,
  items: readonly Item[],
  open: Item | undefined,
  say: (problem: string) => void,
): void {
  const status = {
    "response.completed": "completed",
    "response.incomplete": "incomplete",
    "response.failed": "failed",
  }[type];
  checkStatus(response, status ?? "", say);
  if (type !== "response.failed" && open) say(`item ${open.index} was never done`);
  const output = Array.isArray(response.output) ? response.output.map(asRecord) : [];
  const done = items.filter((item) => item.done);
  if (type !== "response.failed" && output.length !== items.length)
    say("response.output differs from the streamed items");
  done.forEach((item) => {
    const listed = output[item.index];
    if (str(listed?.id) !== item.id || JSON.stringify(listed) !== JSON.stringify(item.done))
      say(`response.output[${item.index}] differs from its output_item.done`);
  });
  if (type === "response.incomplete" && !asRecord(response.incomplete_details)?.reason)
    say("incomplete_details.reason missing");
  if (type === "response.failed") {
    const error = asRecord(response.error);
    if (!error || str(error.code) === "" || str(error.message) === "")
      say("error.code and error.message required");
    return;
  }
  const usage = asRecord(response.usage);
  if (!usage) {
    say("usage missing");
    return;
  }
  const input = usage.input_tokens;
  const outputTokens = usage.output_tokens;
  const cached = asRecord(usage.input_tokens_details)?.cached_tokens;
  const reasoning = asRecord(usage.output_tokens_details)?.reasoning_tokens;
  if (typeof input !== "number" || typeof outputTokens !== "number") say("usage token counts missing");
  else if (usage.total_tokens !== input + outputTokens) say("total_tokens is not input + output");
  if (typeof cached !== "number" || (typeof input === "number" && cached > input))
    say("cached_tokens missing or > input_tokens");
  if (typeof reasoning !== "number") say("reasoning_tokens missing");
}

function checkStatus(
  response: Record<string, unknown> | undefined,
  status: string,
  say: (problem: string) => void,
): void {
  if (response && response.status !== status)
    say(`response.status ${String(response.status)}, expected ${status}`);
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}
