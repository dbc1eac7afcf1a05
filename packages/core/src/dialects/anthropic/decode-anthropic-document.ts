import type { AnthropicDocumentBlock } from "./anthropic-content-block-schema.js";

/**
 * Documents → text. Plain-text documents are inlined (under their title); PDFs, URLs and files cannot be
 * read by a llama.cpp model, so they become a placeholder the model can mention to the user.
 */
export function decodeAnthropicDocument(
  block: AnthropicDocumentBlock,
  path: string,
  warnings: string[],
): string {
  const title = block.title ?? undefined;
  const source = block.source;
  const inline =
    source.type === "text" && typeof source.data === "string"
      ? source.data
      : source.type === "content"
        ? typeof source.content === "string"
          ? source.content
          : (source.content ?? []).map((part) => part.text ?? "").join("\n")
        : undefined;
  if (inline !== undefined) return title === undefined ? inline : `# ${title}\n\n${inline}`;
  warnings.push(`${path}: ${source.type} documents are not supported; replaced with a placeholder text`);
  const what = [title && JSON.stringify(title), source.media_type].filter(Boolean).join(", ");
  return `[document${what ? ` (${what})` : ""} omitted: this server cannot read ${source.type} documents]`;
}
