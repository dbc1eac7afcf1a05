/** One dispatched SSE message. `event` is absent for unnamed messages (the OpenAI dialect). */
export interface SseMessage {
  event?: string;
  /** The `data:` lines of the message joined with "\n". */
  data: string;
}
