import { open, writeFile } from "node:fs/promises";
import { CortexError } from "@cortex/core";
import { z } from "zod";

/**
 * The fault-injection knobs of a fake model. They live in the model file itself (a `*.gguf` whose content
 * is this JSON), so a test drives a real neuron process just by writing files into its models_dir.
 */
export const FakeModelKnobsSchema = z.object({
  fake: z.literal(true),
  architecture: z.string().min(1).default("llama"),
  /** What `/models` reports as the quantization. */
  quantization: z.string().min(1).default("fake"),
  /** Bytes the model says it needs (estimate) and uses once loaded. */
  memory: z.number().int().nonnegative().default(50_000_000),
  /** Overrides the context size the neuron asks for, so a test can provoke context_length_exceeded. */
  contextSize: z.number().int().positive().nullable().default(null),
  loadDelayMs: z.number().nonnegative().default(0),
  /** A load fails with this message (as a plain Error, like node-llama-cpp's own load failures). */
  failLoad: z.string().nullable().default(null),
  tokenDelayMs: z.number().nonnegative().default(0),
  /** Prompt evaluation time per token not found in a sequence or the KV tier (in shared 512-token batches). */
  prefillMsPerToken: z.number().nonnegative().default(0),
  /** Saved sequence states kept per loaded model (the KV tier, in entries); 0 = no tier. */
  kvTierEntries: z.number().int().nonnegative().default(0),
  /** Time per token to restore a saved state from the tier. */
  restoreMsPerToken: z.number().nonnegative().default(0),
  /** After this many tokens, generation hangs until its signal aborts. */
  stallAfterTokens: z.number().int().nonnegative().nullable().default(null),
  /** The reply, one token per word; without it the model says "tok0 tok1 …" until max tokens. */
  text: z.string().nullable().default(null),
});

export type FakeModelKnobs = z.infer<typeof FakeModelKnobsSchema>;
export type FakeModelKnobsInput = z.input<typeof FakeModelKnobsSchema>;

/** Real GGUFs are gigabytes: never read more than a fake file could plausibly be. */
const MAX_FAKE_FILE_BYTES = 64 * 1024;

export async function writeFakeModelFile(
  path: string,
  knobs: Partial<Omit<FakeModelKnobsInput, "fake">> = {},
): Promise<void> {
  await writeFile(path, JSON.stringify({ fake: true, ...knobs }));
}

export type FakeModelFile =
  { ok: true; knobs: FakeModelKnobs; fileSize: number } | { ok: false; reason: string; fileSize: number };

export async function readFakeModelFile(path: string): Promise<FakeModelFile> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    return { ok: false, reason: `cannot open model file: ${(error as Error).message}`, fileSize: 0 };
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_FAKE_FILE_BYTES) {
      return { ok: false, reason: `not a fake model file: ${size} bytes is too large`, fileSize: size };
    }
    const text = (await handle.readFile()).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, reason: "not a fake model file: content is not JSON", fileSize: size };
    }
    const parsed = FakeModelKnobsSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      return {
        ok: false,
        reason: `not a fake model file: ${where}${issue?.message ?? "invalid"}`,
        fileSize: size,
      };
    }
    return { ok: true, knobs: parsed.data, fileSize: size };
  } finally {
    await handle.close();
  }
}

/**
 * Knobs for a whole fake node, changed at run time (a test flips one between two requests): they apply
 * over every model file's own knobs, from the next load or generation on. `null` clears a nullable one.
 */
export interface FakeNodeKnobs {
  /** How long a load takes. */
  loadDelayMs: number;
  /** Loads stay in state "loading" at 0 % until this is set back to false (then take `loadDelayMs`). */
  holdLoads: boolean;
  /** Loads fail with this message (500 `model_load_failed`); the model ends in state "failed". */
  failLoad: string | null;
  /** Loads run out of memory at the end of `loadDelayMs` (503 `insufficient_memory`). */
  oomOnLoad: boolean;
  /** Pause before each generated token. */
  tokenDelayMs: number;
  /** Stop generating after this many tokens and hold the connection until the client leaves. */
  stallAfterTokens: number | null;
  /** Drop the client's connection after this many tokens (0: before any byte). */
  dropAfterTokens: number | null;
  /** Generations and token counts answer 503 `no_capacity` with `Retry-After: 1`. */
  status503: boolean;
  /** Pause between the model being ready and the first byte of a response. */
  firstByteDelayMs: number;
  /** Reply with this text (one token per word) and finish "stop", instead of "tok0 tok1 …". */
  replyText: string | null;
}

type Kind = "ms" | "count?" | "text?" | "flag";

const KINDS: Readonly<Record<keyof FakeNodeKnobs, Kind>> = {
  loadDelayMs: "ms",
  holdLoads: "flag",
  failLoad: "text?",
  oomOnLoad: "flag",
  tokenDelayMs: "ms",
  stallAfterTokens: "count?",
  dropAfterTokens: "count?",
  status503: "flag",
  firstByteDelayMs: "ms",
  replyText: "text?",
};

/**
 * Checks a knob patch (from a test in another process), where a typo must fail loudly rather than leave
 * a test running against a healthy fake.
 */
export function parseFakeNodeKnobs(input: unknown): Partial<FakeNodeKnobs> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new CortexError("invalid_request", "knobs must be a JSON object");
  }
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!Object.hasOwn(KINDS, key)) {
      throw new CortexError(
        "invalid_request",
        `unknown knob ${key} (known: ${Object.keys(KINDS).join(", ")})`,
      );
    }
    const kind = KINDS[key as keyof FakeNodeKnobs];
    const count = typeof value === "number" && Number.isInteger(value) && value >= 0;
    const fits =
      kind === "ms"
        ? count
        : kind === "count?"
          ? value === null || count
          : kind === "text?"
            ? value === null || typeof value === "string"
            : typeof value === "boolean";
    if (!fits) throw new CortexError("invalid_request", `knob ${key}: expected ${DESCRIBE[kind]}`);
    patch[key] = value;
  }
  return patch as Partial<FakeNodeKnobs>;
}

const DESCRIBE: Readonly<Record<Kind, string>> = {
  ms: "a whole number of milliseconds >= 0",
  "count?": "a whole number >= 0 or null",
  "text?": "a string or null",
  flag: "true or false",
};
