import { once } from "node:events";
import { connect, type Socket } from "node:net";

export interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Settles when the socket is closed (by either side). */
  closed: Promise<void>;
}

/** A plain TCP connection to an HTTP server, for clients no HTTP library would be: slow, partial, idle. */
export async function rawConnection(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let text = "";
  socket.on("data", (data: Buffer) => (text += data.toString()));
  // A reset is how a server drops a connection over its cap: it ends the connection, it is not a failure.
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await once(socket, "connect");
  return { socket, received: () => text, closed };
}

/** Writes one character of `text` (cycling) every `everyMs` until the socket closes: a request that never ends. */
export function trickle(socket: Socket, text: string, everyMs = 100): void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) {
      clearInterval(timer);
      return;
    }
    socket.write(text[index % text.length] ?? " ");
    index++;
  }, everyMs);
  socket.once("close", () => clearInterval(timer));
}

/** Sends a whole request and waits for the end of the response headers: the server has counted the connection. */
export async function completeExchange(connection: RawConnection, request: string): Promise<void> {
  connection.socket.write(request);
  while (!connection.received().includes("\r\n\r\n")) await once(connection.socket, "data");
}

/**
 * Resolves once the server answers a new connection again (after connections over its cap were
 * closed on the client side: the server notices a moment later). Fails after `timeoutMs`.
 */
export async function untilAccepting(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const host = new URL(url).host;
  for (;;) {
    const connection = await rawConnection(url);
    connection.socket.write(`GET /health HTTP/1.1\r\nHost: ${host}\r\nconnection: close\r\n\r\n`);
    await connection.closed;
    if (connection.received().startsWith("HTTP/1.1 200")) return;
    if (Date.now() > deadline) throw new Error(`${url} did not accept a connection within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
