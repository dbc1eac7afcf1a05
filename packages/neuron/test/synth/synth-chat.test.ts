import { join } from "node:path";
import {
  JinjaTemplateChatWrapper,
  Llama3_1ChatWrapper,
  LlamaChat,
  LlamaText,
  QwenChatWrapper,
  resolveChatWrapper,
  TokenBias,
  type ChatHistoryItem,
  type ChatWrapper,
  type ChatModelFunctions,
  type Llama,
  type LlamaModel,
} from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthModel, type SynthArch } from "../../src/synth/index.js";
import { QWEN_CHAT_TEMPLATE } from "../../src/synth/templates/chat-templates.js";
import { makeTempDir, PRINTABLE, testLlama } from "./synth-test-runtime.js";

const WRAPPERS = { llama: Llama3_1ChatWrapper, qwen3: QwenChatWrapper, qwen3moe: QwenChatWrapper };

const FUNCTIONS = {
  get_weather: {
    description: "Current weather for a city",
    params: {
      type: "object",
      properties: { city: { type: "string", maxLength: 24 }, unit: { enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"],
    },
  },
} as const satisfies ChatModelFunctions;

const question = (text: string): ChatHistoryItem[] => [
  { type: "system", text: "You are a terse assistant." },
  { type: "user", text },
  { type: "model", response: [] },
];

let llama: Llama;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ llama } = await testLlama());
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await llama.dispose();
  await cleanup();
});

interface ChatModel {
  readonly model: LlamaModel;
  /** Resolving costs ~0.5 s (docs/node-llama-cpp.md §7.10), so once per model. */
  readonly wrapper: ChatWrapper;
}

async function loadChatModel(path: string): Promise<ChatModel> {
  const model = await llama.loadModel({ modelPath: path });
  return { model, wrapper: resolveChatWrapper(model) };
}

async function withChat<T>({ model, wrapper }: ChatModel, run: (chat: LlamaChat) => Promise<T>): Promise<T> {
  const context = await model.createContext({ contextSize: 2048, threads: 1 });
  try {
    return await run(new LlamaChat({ contextSequence: context.getSequence(), chatWrapper: wrapper }));
  } finally {
    await context.dispose();
  }
}

describe.each(["llama", "qwen3", "qwen3moe"] as SynthArch[])("%s chat", (arch) => {
  let plain: ChatModel;
  let ends: ChatModel;
  beforeAll(async () => {
    plain = await loadChatModel((await synthModel({ arch, out: join(dir, `${arch}.gguf`) })).path);
    ends = await loadChatModel(
      (await synthModel({ arch, ends: true, out: join(dir, `${arch}-e.gguf`) })).path,
    );
  });
  afterAll(async () => {
    await plain.model.dispose();
    await ends.model.dispose();
  });

  it("resolves to a chat wrapper that supports function calls", () => {
    expect(plain.wrapper).toBeInstanceOf(WRAPPERS[arch]);
    expect(ends.wrapper).toBeInstanceOf(WRAPPERS[arch]);
    expect(LlamaText(plain.wrapper.settings.functions.call.prefix).toString()).not.toBe("");
  });

  it("parses a forced tool call", async () => {
    const { model, wrapper } = plain;
    // docs/node-llama-cpp.md §5: force the wrapper's whole call prefix, one token per sampling step. Count steps in the
    // bias callback: onToken lags while LlamaChat holds back text that may be a call prefix.
    const prefix = LlamaText([wrapper.settings.functions.call.prefix, "get_weather"]).tokenize(
      model.tokenizer,
      "trimLeadingSpace",
    );
    let step = 0;
    const result = await withChat(plain, (chat) =>
      chat.generateResponse(question("Weather in Paris?"), {
        functions: FUNCTIONS,
        maxParallelFunctionCalls: 1,
        maxTokens: 96,
        tokenBias: () => {
          const bias = new TokenBias(model.tokenizer);
          const next = prefix[step++];
          if (next !== undefined) bias.set(next, { logit: 1000 });
          return bias;
        },
      }),
    );
    expect(result.functionCalls).toHaveLength(1);
    const call = result.functionCalls?.[0];
    expect(call?.functionName).toBe("get_weather");
    expect(typeof call?.params.city).toBe("string");
    expect(["celsius", "fahrenheit"]).toContain(call?.params.unit);
  });

  it("without --ends, replies run to maxTokens", async () => {
    let tokens = 0;
    const result = await withChat(plain, (chat) =>
      chat.generateResponse(question("Say hi."), {
        maxTokens: 40,
        onToken: (t) => void (tokens += t.length),
      }),
    );
    expect(result.metadata.stopReason).toBe("maxTokens");
    expect(tokens).toBe(40);
    expect(result.response).toMatch(PRINTABLE);
  });

  it("with --ends, replies stop at EOS after a sentence within 64 tokens", async () => {
    for (const text of ["Say hi.", "Explain how a hash map works, in detail, with examples."]) {
      let tokens = 0;
      const result = await withChat(ends, (chat) =>
        chat.generateResponse(question(text), { maxTokens: 64, onToken: (t) => void (tokens += t.length) }),
      );
      expect(result.metadata.stopReason).toBe("eogToken");
      expect(tokens).toBeLessThanOrEqual(64);
      expect(result.response.trimEnd()).toMatch(/[.!?]$/);
      expect(result.response).toMatch(PRINTABLE);
    }
  });
});

describe("Qwen template through the generic Jinja path", () => {
  it("renders tools, tool calls and tool responses, and yields the call syntax", () => {
    const wrapper = new JinjaTemplateChatWrapper({ template: QWEN_CHAT_TEMPLATE });
    expect(wrapper.usingJinjaFunctionCallTemplate).toBe(true);
    expect(LlamaText(wrapper.settings.functions.call.prefix).toString()).toContain('<tool_call>\n{"name": "');
    const history: ChatHistoryItem[] = [
      { type: "system", text: "Be brief." },
      { type: "user", text: "Weather in Paris?" },
      {
        type: "model",
        response: [
          {
            type: "functionCall",
            name: "get_weather",
            params: { city: "Paris", unit: "celsius" },
            result: "sunny",
          },
          "It is sunny.",
        ],
      },
    ];
    const text = wrapper
      .generateContextState({ chatHistory: history, availableFunctions: FUNCTIONS })
      .contextText.toString();
    expect(text).toContain("<|im_start|>system\nBe brief.\n\n# Tools\n");
    expect(text).toContain('{"name": "get_weather", "description": "Current weather for a city"');
    expect(text).toContain(
      '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call><|im_end|>',
    );
    expect(text).toContain("<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>");
    expect(text.endsWith("<|im_start|>assistant\nIt is sunny.")).toBe(true);
  });
});
