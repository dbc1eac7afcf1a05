import type { ContentDelta, ToolCall } from "@cortex/core";

interface StreamedCall {
  index: number;
  id: string;
  name: string;
  sent: string;
  /** Whitespace held back: the grammar pads params with "\n\n\n\n" that must not reach the client. */
  pending: string;
}

interface ParamsChunk {
  callIndex: number;
  functionName: string;
  paramsChunk: string;
}

interface FinalCall {
  functionName: string;
  params: unknown;
}

/**
 * Turns node-llama-cpp's function-call param chunks into canonical tool-call events, so that what was
 * streamed concatenates to exactly the `arguments` of the final result.
 */
export class ToolCallStreamer {
  readonly #calls = new Map<number, StreamedCall>();
  readonly #emit: (event: ContentDelta) => void;
  readonly #newId: () => string;

  constructor(emit: (event: ContentDelta) => void, newId: () => string) {
    this.#emit = emit;
    this.#newId = newId;
  }

  push(chunk: ParamsChunk): void {
    const call = this.#start(chunk.callIndex, chunk.functionName);
    const text = call.pending + chunk.paramsChunk;
    const body = text.trimEnd();
    call.pending = text.slice(body.length);
    if (body !== "") {
      call.sent += body;
      this.#emit({ type: "tool-call-delta", index: call.index, argumentsDelta: body });
    }
  }

  /**
   * Every call of the reply, in the order they started. `finalCalls` (node-llama-cpp's result) holds the
   * finished ones; a call streamed but missing there was cut off by the token limit and stays, with the
   * argument text generated so far (not valid JSON): both dialects keep a cut call, as OpenAI and
   * Anthropic do, and streaming and non-streaming answers must hold the same calls.
   */
  finish(finalCalls: readonly FinalCall[]): ToolCall[] {
    finalCalls.forEach((final, callIndex) => {
      const call = this.#start(callIndex, final.functionName);
      if (!isJson(call.sent)) {
        // Streaming was cut short or never happened: send what is missing so the stream stays complete.
        const full = JSON.stringify(final.params ?? {});
        const rest = full.startsWith(call.sent) ? full.slice(call.sent.length) : "";
        if (rest !== "") this.#emit({ type: "tool-call-delta", index: call.index, argumentsDelta: rest });
        call.sent += rest;
      }
    });
    return [...this.#calls.values()]
      .sort((a, b) => a.index - b.index)
      .map((call) => ({ id: call.id, name: call.name, arguments: call.sent }));
  }

  #start(callIndex: number, name: string): StreamedCall {
    let call = this.#calls.get(callIndex);
    if (!call) {
      call = { index: this.#calls.size, id: this.#newId(), name, sent: "", pending: "" };
      this.#calls.set(callIndex, call);
      this.#emit({ type: "tool-call-start", index: call.index, id: call.id, name });
    }
    return call;
  }
}

function isJson(text: string): boolean {
  if (text === "") return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
