import { getLlama, type Llama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toGbnfSchema } from "../../src/engine/llama-cpp/to-gbnf-schema.js";

/** Shaped like the tool schemas Claude Code sends: draft 2020-12, zod-generated bounds, nested items. */
const CLAUDE_CODE_LIKE = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  properties: {
    command: { type: "string", description: "The command to execute" },
    timeout: {
      type: "number",
      description: "Optional timeout in milliseconds",
      exclusiveMinimum: 0,
      maximum: 9007199254740991,
    },
    mode: { type: "string", enum: ["default", "plan", "acceptEdits"] },
    target: {
      anyOf: [
        { type: "string", minLength: 1 },
        { type: "integer", minimum: 0 },
      ],
    },
    todos: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        properties: {
          content: { type: "string", minLength: 1 },
          status: { type: "string", enum: ["pending", "in_progress", "completed"] },
        },
        required: ["content", "status", "priority"],
        additionalProperties: false,
      },
    },
    matrix: { type: "array", items: { type: "array", items: { type: "integer" } } },
    tags: { type: ["array", "null"], items: { type: "string" } },
    options: { type: "object", additionalProperties: true },
  },
  required: ["command", "todos"],
  additionalProperties: false,
};

const ANY = { type: ["string", "number", "boolean", "null"] };

describe("toGbnfSchema", () => {
  it("keeps what a grammar can express from a real-world draft 2020-12 schema and drops the rest", () => {
    expect(toGbnfSchema(CLAUDE_CODE_LIKE)).toEqual({
      type: "object",
      properties: {
        command: { type: "string", description: "The command to execute" },
        timeout: { type: "number", description: "Optional timeout in milliseconds" },
        mode: { enum: ["default", "plan", "acceptEdits"] },
        target: { oneOf: [{ type: "string", minLength: 1 }, { type: "integer" }] },
        todos: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            properties: {
              content: { type: "string", minLength: 1 },
              status: { enum: ["pending", "in_progress", "completed"] },
            },
            // "priority" is not a property: requiring it would make the grammar unsatisfiable.
            required: ["content", "status"],
            additionalProperties: false,
          },
        },
        matrix: { type: "array", items: { type: "array", items: { type: "integer" } } },
        tags: { oneOf: [{ type: "array", items: { type: "string" } }, { type: "null" }] },
        options: { type: "object", properties: {}, required: [], additionalProperties: true },
      },
      required: ["command", "todos"],
      additionalProperties: false,
    });
  });

  it("bounds open-ended strings, arrays and objects for random weights", () => {
    const bounded = toGbnfSchema(
      {
        type: "object",
        properties: { s: { type: "string" }, a: { type: "array", items: {} }, o: { type: "object" } },
      },
      { boundOpenEnded: true },
    );
    expect(bounded).toEqual({
      type: "object",
      properties: {
        s: { type: "string", maxLength: 24 },
        a: { type: "array", items: ANY, maxItems: 3 },
        o: { type: "object", properties: {}, required: [], additionalProperties: false },
      },
      required: [],
      additionalProperties: false,
    });
  });

  it("falls back to any scalar for what it cannot read", () => {
    expect(toGbnfSchema(true)).toEqual(ANY);
    expect(toGbnfSchema({ $ref: "#/$defs/Thing" })).toEqual(ANY);
    expect(toGbnfSchema({ type: ["string", "null"] })).toEqual({ type: ["string", "null"] });
    expect(toGbnfSchema({ const: "fixed" })).toEqual({ const: "fixed" });
  });

  describe("compiled by node-llama-cpp", () => {
    let llama: Llama;
    beforeAll(async () => {
      llama = await getLlama({ gpu: false, build: "never", maxThreads: 1 });
    });
    afterAll(async () => {
      await llama.dispose();
    });

    it("accepts the converted schema and parses a document that satisfies it", async () => {
      // The generic signature wants a literal schema type; ours is only known at run time (as in grammar-cache.ts).
      const grammar = await llama.createGrammarForJsonSchema(toGbnfSchema(CLAUDE_CODE_LIKE) as never);
      const document = {
        command: "ls -la",
        timeout: 1500,
        mode: "plan",
        target: 3,
        todos: [{ content: "write tests", status: "in_progress" }],
        matrix: [[1, 2], []],
        tags: ["a", "b"],
        options: { verbose: true },
      };
      expect(grammar.parse(JSON.stringify(document))).toEqual(document);
      expect(grammar.parse(JSON.stringify({ ...document, tags: null }))).toMatchObject({ tags: null });
      expect(() => grammar.parse(JSON.stringify({ ...document, mode: "yolo" }))).toThrow();
    });

    it("accepts the bounded variant too", async () => {
      const schema = toGbnfSchema(CLAUDE_CODE_LIKE, { boundOpenEnded: true });
      const grammar = await llama.createGrammarForJsonSchema(schema as never);
      expect(grammar.grammar).toContain("root ::=");
    });
  });
});
