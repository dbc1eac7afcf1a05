import type { Readable } from "node:stream";

/** Reads a non-streaming upstream body (JSON answers and errors) into a string. */
export async function readBody(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
