import type { AnthropicRequest } from "./anthropic-request-schema.js";

const BILLING_HEADER = "x-anthropic-billing-header:";

/**
 * `system` (string or text blocks) → one system prompt, blocks joined with a blank line. Claude Code's
 * `x-anthropic-billing-header: cc_version=…` block is dropped: its suffix changes with every prompt, so
 * keeping it would defeat the neuron's prefix (KV) cache on every request.
 */
export function decodeAnthropicSystem(system: AnthropicRequest["system"], warnings: string[]): string {
  if (system === null || system === undefined) return "";
  if (typeof system === "string") return system;
  const texts: string[] = [];
  system.forEach((block, index) => {
    if (block.text.trimStart().startsWith(BILLING_HEADER)) {
      warnings.push(
        `system[${index}]: dropped the x-anthropic-billing-header block (it varies per request and defeats prefix caching)`,
      );
    } else if (block.text.trim() !== "") {
      texts.push(block.text);
    }
  });
  return texts.join("\n\n");
}
