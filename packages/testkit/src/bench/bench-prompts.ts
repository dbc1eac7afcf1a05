const TOPICS = [
  "how a reverse proxy keeps connections to its upstream servers alive",
  "why greedy decoding of the same prompt gives the same tokens every time",
  "what a key-value cache stores for each token of a transformer",
  "how a scheduler chooses which node should load a model next",
  "the difference between time to first token and decode speed",
  "why two threads can be slower than one on a small virtual machine",
  "how server-sent events frame a stream of JSON chunks",
  "what happens when a client disconnects in the middle of a stream",
  "how batching several sequences into one decode call raises throughput",
  "why a benchmark should alternate the systems it compares",
];

/**
 * The user message for stream `stream` of trial `trial`: identical for both systems under test (same
 * arguments, same text) and distinct between trials, so no run profits from a previous run's KV cache.
 */
export function benchPrompt(trial: number, stream: number): string {
  const topic = TOPICS[(trial * 3 + stream) % TOPICS.length] ?? "";
  return `Request ${trial}.${stream}: in two short paragraphs, explain ${topic}. Keep it plain and concrete.`;
}
