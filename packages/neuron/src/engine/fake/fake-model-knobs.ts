import { open, writeFile } from "node:fs/promises";
import { z } from "zod";

/**
 * The fault-injection knobs of a fake model. They live in the model file itself (a `*.gguf` whose content
 * is this JSON), so a test drives a real neuron process just by writing files into its models_dir.
 */
export const FakeModelKnobsSchema = z.object({
  fake: z.literal(true),
  architecture: z.string().min(1).default("llama"),
  /** Bytes the model says it needs (estimate) and uses once loaded. */
  memory: z.number().int().nonnegative().default(50_000_000),
  /** Overrides the context size the neuron asks for, so a test can provoke context_length_exceeded. */
  contextSize: z.number().int().positive().nullable().default(null),
  loadDelayMs: z.number().nonnegative().default(0),
  /** A load fails with this message (as a plain Error, like node-llama-cpp's own load failures). */
  failLoad: z.string().nullable().default(null),
  tokenDelayMs: z.number().nonnegative().default(0),
  /** Prompt evaluation time per token not found in a sequence or the KV tier (one prompt at a time). */
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
