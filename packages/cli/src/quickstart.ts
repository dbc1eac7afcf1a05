/** What `cortex up` prints: copy-paste lines for every kind of client. */
export function printQuickstart(url: string, metricsUrl: string, models: readonly string[]): void {
  const model = models[0] ?? "qwen3-tiny";
  const lines = [
    "",
    `cortex is up on ${url}  (metrics: ${metricsUrl}/metrics, dashboard: ${url}/ui)`,
    `models: ${models.join(", ")}  (demo models with random weights: their replies are gibberish)`,
    "",
    "curl:",
    `  curl ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
    `    -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'`,
    "",
    "openai SDK (Node):",
    `  new OpenAI({ baseURL: "${url}/v1", apiKey: "x" }).chat.completions.create({ model: "${model}", messages: [...] })`,
    "",
    "anthropic SDK (Node):",
    `  new Anthropic({ baseURL: "${url}", apiKey: "x" }).messages.create({ model: "${model}", max_tokens: 256, messages: [...] })`,
    "",
    "Claude Code:",
    `  ANTHROPIC_BASE_URL=${url} ANTHROPIC_API_KEY=x CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 claude -p "hello"`,
    "",
    "Codex CLI (Responses API; a permanent provider block is in docs/api-conformance.md):",
    `  codex exec -c model_provider=cortex -c 'model_providers.cortex={name="cortex",base_url="${url}/v1",wire_api="responses"}' -m ${model} "hello"`,
    "",
    "fleet:  npx cortex status",
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
