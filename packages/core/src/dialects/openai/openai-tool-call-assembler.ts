import type { ContentDelta } from "../../canonical/chat-stream-event.js";
import { JsonValueTracker } from "../shared/json-value-tracker.js";

interface BackendCall {
  id?: string;
  name?: string;
  /** Argument text received before the call could be started. */
  buffered: string;
  /** Canonical index once started. */
  index?: number;
  readonly tracker: JsonValueTracker;
}

/**
 * Turns backend `delta.tool_calls[]` fragments into canonical tool-call events, numbered 0..n-1 in the
 * order they start. Backends key fragments by `index` (sometimes only by `id`, or by nothing), may send
 * the name after the id, may send the arguments as an object, and a few interleave parallel calls.
 *
 * Calls are serialised: a call starts only once the previous call's arguments form a complete JSON value
 * (until then its fragments are buffered), so a consumer that can hold only one open block at a time
 * (Anthropic) never sees a delta for an earlier call. Sequential backends, the norm, stream fully live.
 */
export class OpenAIToolCallAssembler {
  readonly #calls: BackendCall[] = [];
  readonly #byKey = new Map<string, BackendCall>();
  readonly #fallbackId: (index: number) => string;
  #live: BackendCall | undefined;
  #started = 0;

  constructor(fallbackId: (index: number) => string) {
    this.#fallbackId = fallbackId;
  }

  /** How many calls have been started. */
  get started(): number {
    return this.#started;
  }

  push(fragment: unknown): ContentDelta[] {
    if (typeof fragment !== "object" || fragment === null) return [];
    const record = fragment as Record<string, unknown>;
    const fn =
      typeof record["function"] === "object" && record["function"] !== null ? record["function"] : {};
    const { name, arguments: args } = fn as Record<string, unknown>;
    const id = nonEmpty(record["id"]);
    const call = this.#find(record["index"], id);
    if (id !== undefined) call.id ??= id;
    if (call.name === undefined && nonEmpty(name) !== undefined) call.name = name as string;
    const text =
      typeof args === "string" ? args : typeof args === "object" && args !== null ? JSON.stringify(args) : "";

    const events: ContentDelta[] = [];
    if (call.index === undefined) call.buffered += text;
    else this.#delta(call, text, events);
    this.#startReady(events);
    return events;
  }

  /** Starts every call still waiting (end of stream): a late name is better than a lost call. */
  flush(): ContentDelta[] {
    const events: ContentDelta[] = [];
    for (const call of this.#calls) if (call.index === undefined) this.#start(call, events);
    return events;
  }

  #find(index: unknown, id: string | undefined): BackendCall {
    let key: string;
    if (typeof index === "number") key = `index:${index}`;
    else if (id !== undefined) {
      const known = this.#calls.find((call) => call.id === id);
      if (known) return known;
      key = `id:${id}`;
    } else {
      // No index and no id: a continuation of the latest call.
      const latest = this.#calls.at(-1);
      if (latest) return latest;
      key = "index:0";
    }
    let call = this.#byKey.get(key);
    if (!call) {
      call = { buffered: "", tracker: new JsonValueTracker() };
      this.#byKey.set(key, call);
      this.#calls.push(call);
    }
    return call;
  }

  #startReady(events: ContentDelta[]): void {
    for (;;) {
      if (this.#live && !this.#live.tracker.complete) return;
      const next = this.#calls.find((call) => call.index === undefined);
      if (!next || next.name === undefined) return;
      this.#start(next, events);
    }
  }

  #start(call: BackendCall, events: ContentDelta[]): void {
    const index = this.#started++;
    call.index = index;
    events.push({
      type: "tool-call-start",
      index,
      id: call.id ?? this.#fallbackId(index),
      name: call.name ?? "",
    });
    const buffered = call.buffered;
    call.buffered = "";
    this.#live = call;
    this.#delta(call, buffered, events);
  }

  #delta(call: BackendCall, text: string, events: ContentDelta[]): void {
    if (text === "" || call.index === undefined) return;
    call.tracker.push(text);
    events.push({ type: "tool-call-delta", index: call.index, argumentsDelta: text });
  }
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * An id for a tool call the backend sent without one. Deterministic (this code has no random source) and
 * unique as long as response ids are: `call_<response id>_<index>`, restricted to `[a-zA-Z0-9_-]`.
 */
export function fallbackToolCallId(responseId: string, index: number): string {
  const base = responseId.replace(/[^a-zA-Z0-9_-]/g, "_");
  return base === "" ? `call_${index}` : `call_${base}_${index}`;
}
