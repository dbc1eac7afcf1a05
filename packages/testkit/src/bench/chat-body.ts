/** An OpenAI chat request body: one user message, greedy. */
export function chatBody(model: string, prompt: string, maxTokens: number, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: "user", content: prompt }],
    max_tokens: maxTokens,
    temperature: 0,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}
