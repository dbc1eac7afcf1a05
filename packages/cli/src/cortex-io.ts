/** Where a command writes: a process stream, or a buffer in tests. */
export interface Output {
  write(text: string): void;
  /** A terminal: tables get colour and progress is shown; piped output stays plain and stable. */
  readonly isTTY: boolean;
}

/** Everything the gateway commands take from the process, handed down by `main` (STYLE: only main reads env). */
export interface CortexIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  /** Calls `listener` on Ctrl-C (SIGINT) until the returned function is called; until then Ctrl-C does not exit. */
  onInterrupt(listener: () => void): () => void;
}

/** Colour on a terminal unless NO_COLOR (https://no-color.org) or TERM=dumb say otherwise. */
export function wantsColor(io: CortexIo): boolean {
  return io.stdout.isTTY && io.env.NO_COLOR === undefined && io.env.TERM !== "dumb";
}
