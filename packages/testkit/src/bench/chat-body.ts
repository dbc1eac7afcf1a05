/** An OpenAI chat request body: one user message (or the messages given), greedy. */
export function chatBody(
  model: string,
  prompt: string | readonly { role: string; content: string }[],
  maxTokens: number,
  stream: boolean,
): string {
  return JSON.stringify({
    model,
    messages: typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt,
    max_tokens: maxTokens,
    temperature: 0,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}
