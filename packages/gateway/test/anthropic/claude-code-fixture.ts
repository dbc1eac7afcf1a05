import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@cortex/testkit";

/**
 * The Claude Code 2.1.197 request recorded for the translator tests: billing-header + cache_control
 * system blocks, a mid-conversation system turn, 24 tools with draft-2020-12 schemas, adaptive thinking,
 * metadata, context_management, output_config, thinking/redacted_thinking and tool results in history.
 */
export function claudeCodeRequest(): Record<string, unknown> & { model: string; tools: unknown[] } {
  const path = join(repoRoot(), "packages/core/test/__fixtures__/anthropic/claude-code-request.json");
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown> & {
    model: string;
    tools: unknown[];
  };
}

/** The headers Claude Code 2.1.197 sends on `POST /v1/messages?beta=true` (docs/api-spec.md §1.2). */
export const CLAUDE_CODE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  accept: "application/json",
  "accept-encoding": "gzip, deflate, br, zstd",
  "anthropic-version": "2023-06-01",
  "anthropic-beta": [
    "claude-code-20250219",
    "interleaved-thinking-2025-05-14",
    "thinking-token-count-2026-05-13",
    "context-management-2025-06-27",
    "prompt-caching-scope-2026-01-05",
    "mid-conversation-system-2026-04-07",
    "effort-2025-11-24",
  ].join(","),
  "anthropic-dangerous-direct-browser-access": "true",
  "x-api-key": "sk-ant-placeholder",
  "x-app": "cli",
  "x-claude-code-session-id": "0b6f7c62-3d7e-4c1a-9f0e-2a9c1d8e4b11",
  "user-agent": "claude-cli/2.1.197 (external, sdk-cli)",
  "x-stainless-retry-count": "0",
  "x-stainless-timeout": "600",
  "x-stainless-lang": "js",
  "x-stainless-package-version": "0.94.0",
  "x-stainless-os": "Linux",
  "x-stainless-arch": "x64",
  "x-stainless-runtime": "node",
  "x-stainless-runtime-version": "v24.3.0",
  "x-stainless-helper-method": "stream",
};
