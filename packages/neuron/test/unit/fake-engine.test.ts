import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CortexError, prefixFingerprints, type CanonicalMessage, type ChatStreamEvent } from "@cortex/core";
import { describe, expect, it } from "vitest";
import type { GenerateOptions, LoadOptions } from "../../src/engine/engine.js";
import { FakeEngine } from "../../src/engine/fake/fake-engine.js";
import { writeFakeModelFile, type FakeModelKnobsInput } from "../../src/engine/fake/fake-model-knobs.js";
import type { FakeModel } from "../../src/engine/fake/fake-model.js";
import { FakePrefixCache } from "../../src/engine/fake/fake-prefix-cache.js";
import { chatRequest, userMessage } from "./support/chat-request.js";
import { deferred } from "./support/deferred.js";
import { useTempDirs } from "./support/temp-dir.js";

const LOAD: LoadOptions = { contextSize: 4096, sequences: 2, gpuLayers: "auto" };
const never = new AbortController().signal;

function collect(signal: AbortSignal = never): { events: ChatStreamEvent[]; options: GenerateOptions } {
  const events: ChatStreamEvent[] = [];
  return { events, options: { signal, onEvent: (event) => events.push(event) } };
}

function textOf(events: readonly ChatStreamEvent[]): string {
  return events.map((event) => (event.type === "text-delta" ? event.text : "")).join("");
}

describe("FakeEngine", () => {
  const tempDir = useTempDirs("fake-engine");

  async function loaded(
    knobs: Partial<Omit<FakeModelKnobsInput, "fake">> = {},
    options: { engine?: FakeEngine; load?: Partial<LoadOptions> } = {},
  ): Promise<{ engine: FakeEngine; model: FakeModel; path: string }> {
    const path = join(await tempDir(), "m.gguf");
    await writeFakeModelFile(path, knobs);
    const engine = options.engine ?? new FakeEngine();
    const model = (await engine.load(path, { ...LOAD, ...options.load })) as FakeModel;
    return { engine, model, path };
  }

  describe("files and loading", () => {
    it("inspects a fake model file and says why another file is not one", async () => {
      const dir = await tempDir();
      const engine = new FakeEngine();
      await writeFakeModelFile(join(dir, "ok.gguf"), { architecture: "qwen3", contextSize: 2048 });
      await writeFile(join(dir, "binary.gguf"), Buffer.from("GGUF\x03\x00\x00\x00"));
      await writeFile(join(dir, "wrong.gguf"), JSON.stringify({ fake: true, memory: "lots" }));

      expect(await engine.inspect(join(dir, "ok.gguf"))).toMatchObject({
        ok: true,
        architecture: "qwen3",
        trainContextLength: 2048,
      });
      expect(await engine.inspect(join(dir, "binary.gguf"))).toMatchObject({
        ok: false,
        reason: "not a fake model file: content is not JSON",
        architecture: null,
        fileSize: 8,
      });
      expect(await engine.inspect(join(dir, "wrong.gguf"))).toMatchObject({ ok: false, reason: /memory/ });
      expect(await engine.inspect(join(dir, "missing.gguf"))).toMatchObject({ ok: false });
    });

    it("estimates the file's memory knob and discovers what it was configured with", async () => {
      const gpus = [{ index: 0, name: "Fake GPU", vramTotal: 8e9, vramFree: 6e9 }];
      const engine = new FakeEngine({ backend: "cuda", gpus });
      const { path } = await loaded({ memory: 123_456 }, { engine });
      expect(await engine.estimateMemory(path, LOAD)).toBe(123_456);
      expect(await engine.discover()).toEqual({
        backend: "cuda",
        gpus,
        deviceMemory: { total: 8e9, free: 6e9 },
      });
    });

    it("reports load progress from 0 to 1", async () => {
      const path = join(await tempDir(), "m.gguf");
      await writeFakeModelFile(path, { loadDelayMs: 4 });
      const progress: number[] = [];
      await new FakeEngine().load(path, { ...LOAD, onProgress: (value) => progress.push(value) });
      expect(progress).toEqual([0, 0.25, 0.5, 0.75, 1]);
    });

    it("fails a load with the file's message, partway through", async () => {
      const path = join(await tempDir(), "m.gguf");
      await writeFakeModelFile(path, { failLoad: "GGML_ASSERT: tensor too big" });
      const progress: number[] = [];
      const engine = new FakeEngine();
      await expect(
        engine.load(path, { ...LOAD, onProgress: (value) => progress.push(value) }),
      ).rejects.toThrow("GGML_ASSERT: tensor too big");
      expect(progress).toEqual([0, 0.25]);
      expect(engine.liveModels).toBe(0);
    });

    it("aborts a slow load with the signal's reason", async () => {
      const path = join(await tempDir(), "m.gguf");
      await writeFakeModelFile(path, { loadDelayMs: 60_000 });
      const controller = new AbortController();
      const reason = new CortexError("request_aborted", "unloaded");
      const started = deferred<void>();
      const loading = new FakeEngine().load(path, {
        ...LOAD,
        signal: controller.signal,
        onProgress: () => started.resolve(),
      });
      await started.promise;
      controller.abort(reason);
      await expect(loading).rejects.toBe(reason);
    });

    it("counts live models and disposals", async () => {
      const { engine, model } = await loaded();
      expect(engine.loadsStarted).toBe(1);
      expect(engine.liveModels).toBe(1);
      await model.dispose();
      await model.dispose();
      expect(engine.liveModels).toBe(0);
      expect(engine.disposedWhileBusy).toBe(0);
      await expect(model.chat(chatRequest(), collect().options)).rejects.toThrow("after dispose");
    });

    it("takes the context size from the file when it sets one", async () => {
      expect((await loaded({ contextSize: 64 })).model.contextSize).toBe(64);
      expect((await loaded()).model.contextSize).toBe(4096);
    });
  });

  describe("generation", () => {
    it("says tok0 tok1 … one token per delta, 16 tokens by default", async () => {
      const { model } = await loaded();
      const { events, options } = collect();
      const result = await model.chat(chatRequest({ messages: [userMessage("one two three")] }), options);
      expect(events).toHaveLength(16);
      expect(events.slice(0, 3)).toEqual([
        { type: "text-delta", text: "tok0" },
        { type: "text-delta", text: " tok1" },
        { type: "text-delta", text: " tok2" },
      ]);
      expect(result.text).toBe(textOf(events));
      expect(result.finishReason).toEqual({ unified: "length", raw: "maxTokens" });
      expect(result.usage).toEqual({ promptTokens: 3, completionTokens: 16, cachedPromptTokens: 0 });
      expect(result.toolCalls).toEqual([]);
    });

    it("stops when the file's text is exhausted, or at max tokens", async () => {
      const { model } = await loaded({ text: "Hello from the fake" });
      const full = await model.chat(chatRequest({ maxTokens: 100 }), collect().options);
      expect(full).toMatchObject({ text: "Hello from the fake", finishReason: { unified: "stop" } });
      const cut = await model.chat(chatRequest({ maxTokens: 2 }), collect().options);
      expect(cut).toMatchObject({ text: "Hello from", finishReason: { unified: "length" } });
    });

    it("ends at a stop sequence without ever streaming it", async () => {
      const { model } = await loaded({ text: "alpha beta gamma delta" });
      const { events, options } = collect();
      const result = await model.chat(chatRequest({ stop: ["a gam"] }), options);
      expect(result).toMatchObject({
        text: "alpha bet",
        finishReason: { unified: "stop_sequence" },
        stopSequence: "a gam",
      });
      expect(textOf(events)).toBe("alpha bet");
    });

    it("streams text held back for a stop sequence that never completes", async () => {
      const { model } = await loaded({ text: "alpha beta" });
      const { events, options } = collect();
      const result = await model.chat(chatRequest({ stop: ["beta!"] }), options);
      expect(result.finishReason.unified).toBe("stop");
      expect(textOf(events)).toBe("alpha beta");
    });

    it("a forced thought streams reasoning first and returns the same reasoning whole, like the real engine", async () => {
      const { model } = await loaded({ text: "alpha beta" });
      const { events, options } = collect();
      const result = await model.chat(chatRequest(), { ...options, forceThought: true });
      const streamed = events.map((event) => (event.type === "reasoning-delta" ? event.text : "")).join("");
      expect(streamed).toBe("Let me think this through.");
      expect(events[0]?.type).toBe("reasoning-delta");
      expect(result).toMatchObject({
        reasoning: streamed,
        text: "alpha beta",
        finishReason: { unified: "stop" },
      });
      expect(textOf(events)).toBe("alpha beta");
      expect(result.usage.completionTokens).toBe(7);

      // The thought counts against max tokens; without the hook there is none.
      const cut = await model.chat(chatRequest({ maxTokens: 3 }), {
        ...collect().options,
        forceThought: true,
      });
      expect(cut).toMatchObject({ reasoning: "Let me think", text: "", finishReason: { unified: "length" } });
      expect((await model.chat(chatRequest(), collect().options)).reasoning).toBeUndefined();
    });

    it("forces a call of the named tool and streams its arguments", async () => {
      const { model } = await loaded();
      const tools = [
        { name: "first", parameters: {} },
        { name: "second", parameters: {} },
      ];
      const { events, options } = collect();
      const result = await model.chat(
        chatRequest({ tools, toolChoice: { type: "tool", name: "second" } }),
        options,
      );
      const id = result.toolCalls[0]?.id;
      expect(events).toEqual([
        { type: "tool-call-start", index: 0, id, name: "second" },
        { type: "tool-call-delta", index: 0, argumentsDelta: '{"arg":' },
        { type: "tool-call-delta", index: 0, argumentsDelta: '"x"}' },
      ]);
      expect(result).toMatchObject({
        text: "",
        toolCalls: [{ name: "second", arguments: '{"arg":"x"}' }],
        finishReason: { unified: "tool_calls" },
      });

      const required = await model.chat(
        chatRequest({ tools, toolChoice: { type: "required" } }),
        collect().options,
      );
      expect(required.toolCalls[0]?.name).toBe("first");
      const hooked = await model.chat(chatRequest({ tools }), { ...collect().options, forceToolCall: "*" });
      expect(hooked.toolCalls[0]?.name).toBe("first");
      const auto = await model.chat(chatRequest({ tools }), collect().options);
      expect(auto.toolCalls).toEqual([]);
    });

    it("refuses a prompt longer than the context", async () => {
      const { model } = await loaded({ contextSize: 4 });
      const request = chatRequest({
        messages: [{ role: "system", content: "be brief" }, userMessage("one two three")],
      });
      const failure = model.chat(request, collect().options);
      await expect(failure).rejects.toBeInstanceOf(CortexError);
      await expect(failure).rejects.toMatchObject({
        code: "context_length_exceeded",
        message: "prompt is too long: 5 tokens > 4 maximum",
      });
    });

    it("stalls after n tokens until aborted, then rejects with the signal's reason", async () => {
      const { model } = await loaded({ stallAfterTokens: 2 });
      const controller = new AbortController();
      const twoTokens = deferred<void>();
      const events: ChatStreamEvent[] = [];
      const generation = model.chat(chatRequest(), {
        signal: controller.signal,
        onEvent: (event) => {
          events.push(event);
          if (events.length === 2) twoTokens.resolve();
        },
      });
      await twoTokens.promise;
      expect(model.busy).toBe(1);
      const reason = new CortexError("request_aborted", "client went away");
      controller.abort(reason);
      await expect(generation).rejects.toBe(reason);
      expect(events).toHaveLength(2);
      expect(model.busy).toBe(0);
    });

    it("aborts between slow tokens", async () => {
      const { model } = await loaded({ tokenDelayMs: 60_000 });
      const controller = new AbortController();
      const generation = model.complete(
        { prompt: "hi", stop: [] },
        { signal: controller.signal, onEvent: () => {} },
      );
      controller.abort(new Error("stop"));
      await expect(generation).rejects.toThrow("stop");
    });

    it("queues beyond its sequences and refuses beyond the queue limit", async () => {
      const { model } = await loaded(
        { stallAfterTokens: 0 },
        { engine: new FakeEngine({ queueLimit: 1 }), load: { sequences: 1 } },
      );
      const controller = new AbortController();
      const running = model.chat(chatRequest(), collect(controller.signal).options);
      const waiting = model.chat(chatRequest(), collect(controller.signal).options);
      await expect(model.chat(chatRequest(), collect().options)).rejects.toMatchObject({
        code: "queue_full",
      });
      expect(model.queued).toBe(1);
      controller.abort(new Error("done"));
      await expect(running).rejects.toThrow("done");
      await expect(waiting).rejects.toThrow("done");
      expect(model.queued).toBe(0);
    });

    it("reuses the cached prefix of a conversation on the same sequence", async () => {
      const { model } = await loaded({ text: "sure thing" }, { load: { sequences: 1 } });
      const first = chatRequest({ messages: [userMessage("tell me a story")] });
      const one = await model.chat(first, collect().options);
      const followUp = chatRequest({
        messages: [
          ...first.messages,
          { role: "assistant", content: one.text, toolCalls: [] },
          userMessage("more"),
        ],
      });
      const two = await model.chat(followUp, collect().options);
      expect(two.usage).toMatchObject({ promptTokens: 7, cachedPromptTokens: 6 });
      expect(two.evaluatedPromptTokens).toBe(1);
    });

    it("records a disposal during a generation and fails that generation", async () => {
      const { engine, model } = await loaded({ stallAfterTokens: 1 });
      const firstToken = deferred<void>();
      const generation = model.chat(chatRequest(), { signal: never, onEvent: () => firstToken.resolve() });
      await firstToken.promise;
      await model.dispose();
      await expect(generation).rejects.toThrow("disposed during generation");
      expect(engine.disposedWhileBusy).toBe(1);
    });
  });

  describe("tokens and embeddings", () => {
    it("counts words as tokens, deterministically", async () => {
      const { model } = await loaded();
      expect(model.tokenize("a b  c")).toHaveLength(3);
      expect(model.tokenize("same words")).toEqual(model.tokenize("same words"));
      const tokens = model.tokenizeChat({
        messages: [{ role: "system", content: "x y" }, userMessage("z")],
        tools: [],
      });
      expect(tokens).toHaveLength(3);
    });

    it("embeds deterministically in 8 dimensions", async () => {
      const { model } = await loaded();
      const { vectors, promptTokens } = await model.embed(
        ["hello world", "other text", "hello world"],
        never,
      );
      expect(promptTokens).toBe(6);
      expect(vectors.map((vector) => vector.length)).toEqual([8, 8, 8]);
      expect(vectors[0]).toEqual(vectors[2]);
      expect(vectors[0]).not.toEqual(vectors[1]);
    });
  });

  describe("prefix cache model", () => {
    const words = (prefix: string, n: number): string =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");
    const turn = (session: string, replies: number) => {
      const messages: CanonicalMessage[] = [userMessage(words(session, 50))];
      for (let i = 0; i < replies; i++) {
        messages.push({
          role: "assistant",
          content: words("tok", 4).replace(/[a-z]+/g, "tok"),
          toolCalls: [],
        });
        messages.push(userMessage(`${session} turn ${i + 1}`));
      }
      return chatRequest({ messages, maxTokens: 4 });
    };
    const usageOf = async (model: FakeModel, request: ReturnType<typeof turn>) =>
      (await model.chat(request, collect().options)).usage;

    it("reports the deepest fingerprint of what each sequence holds, and a returning turn reuses it", async () => {
      const { model } = await loaded({ prefillMsPerToken: 0.01 }, { load: { sequences: 1 } });
      const first = turn("s", 0);
      expect((await usageOf(model, first)).cachedPromptTokens).toBe(0);
      const report = model.cacheReport();
      expect(report.prefixes.prefixes).toEqual([
        { fp: prefixFingerprints(first).at(-1), tokens: 50, where: "sequence" },
      ]);
      expect(report.prefill_tokens_per_s).toBe(100_000);
      // The sequence holds the prompt and the reply ("tok0 … tok3"), which the next turn starts with.
      const second = turn("s", 1);
      expect(await usageOf(model, second)).toMatchObject({ promptTokens: 57, cachedPromptTokens: 54 });
    });

    it("saves an overwritten conversation to the tier and restores it when the session returns", async () => {
      const { model } = await loaded({ kvTierEntries: 1 }, { load: { sequences: 1 } });
      await usageOf(model, turn("a", 0));
      await usageOf(model, turn("b", 0));
      expect(model.cacheReport().prefixes.prefixes.map((entry) => entry.where)).toEqual(["sequence", "ram"]);
      expect((await usageOf(model, turn("a", 1))).cachedPromptTokens).toBe(54);
      expect(model.cacheReport().kv_cache).toMatchObject({ hits: 1, entries: 1 });
      // Without a tier, the overwritten conversation is gone.
      const { model: bare } = await loaded({}, { load: { sequences: 1 } });
      await usageOf(bare, turn("a", 0));
      await usageOf(bare, turn("b", 0));
      expect((await usageOf(bare, turn("a", 1))).cachedPromptTokens).toBe(0);
    });

    it("gives a long evaluation's sequence to a short request and resumes it from the tier, like the real engine", async () => {
      const { model } = await loaded(
        { kvTierEntries: 2, prefillMsPerToken: 0.002 },
        { load: { sequences: 1 } },
      );
      const cold = chatRequest({ messages: [userMessage(words("cold", 4000))], maxTokens: 2 });
      const finished: string[] = [];
      const events = collect();
      let started: () => void = () => {};
      const evaluating = new Promise<void>((resolve) => (started = resolve));
      const long = model.chat(cold, { ...events.options, onStarted: () => started() }).then((result) => {
        finished.push("long");
        return result;
      });
      await evaluating;
      const short = usageOf(model, turn("s", 0)).then((usage) => {
        finished.push("short");
        return usage;
      });
      const [longResult] = await Promise.all([long, short]);
      expect(finished).toEqual(["short", "long"]);
      // Evaluated once in all (what it evaluated before yielding was restored, not evaluated again).
      expect(longResult.evaluatedPromptTokens).toBe(longResult.usage.promptTokens);
      expect(longResult.usage.cachedPromptTokens).toBe(0);
      expect(model.cacheReport().kv_cache).toMatchObject({ hits: 1 });
    });

    it("does not report a conversation whose prompt evaluation was cut short as held, like the real engine", async () => {
      const { model } = await loaded(
        { kvTierEntries: 2, prefillMsPerToken: 0.002 },
        { load: { sequences: 1 } },
      );
      const cold = chatRequest({ messages: [userMessage(words("cold", 4000))], maxTokens: 2 });
      const controller = new AbortController();
      const chat = model.chat(cold, {
        ...collect(controller.signal).options,
        onStarted: () => controller.abort(new CortexError("request_aborted", "client disconnected")),
      });
      await expect(chat).rejects.toMatchObject({ code: "request_aborted" });
      const last = prefixFingerprints(cold).at(-1);
      expect(model.cacheReport().prefixes.prefixes.filter((entry) => entry.fp === last)).toEqual([]);
      // The sequence is free again.
      expect((await usageOf(model, turn("s", 0))).promptTokens).toBe(50);
    });
  });
});

describe("FakePrefixCache prompt evaluation", () => {
  it("shares each batch like the real engine: a short prompt arriving during a long one is done first", async () => {
    const cache = new FakePrefixCache({ entries: 0, prefillMsPerToken: 0.01, restoreMsPerToken: 0 });
    const finished: string[] = [];
    const long = cache.prefill(8000, never).then(() => finished.push("long"));
    const short = cache.prefill(40, never).then(() => finished.push("short"));
    await Promise.all([long, short]);
    expect(finished).toEqual(["short", "long"]);
  });

  it("rejects an aborted prompt with its signal's reason and goes on with the others", async () => {
    const cache = new FakePrefixCache({ entries: 0, prefillMsPerToken: 0.01, restoreMsPerToken: 0 });
    const controller = new AbortController();
    const aborted = cache.prefill(8000, controller.signal);
    const other = cache.prefill(2000, never);
    controller.abort(new CortexError("request_aborted", "client disconnected"));
    await expect(aborted).rejects.toMatchObject({ code: "request_aborted" });
    await expect(other).resolves.toBe(0);
  });
});
