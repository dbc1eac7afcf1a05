import { describeTomlValue } from "./format-config-issues.js";

export interface ListenAddress {
  /** Without brackets, as `net.Server.listen` wants it (e.g. "::1", "0.0.0.0"). */
  readonly host: string;
  /** 0 asks the OS for a free port. */
  readonly port: number;
}

const DEFAULT_HOST = "0.0.0.0";
const FORMS = `expected "host:port", ":port" or "[ipv6]:port"`;

/** Parses "host:port", ":port" (host 0.0.0.0) or "[::1]:port". Throws an Error fit to show a user. */
export function parseListenAddress(input: string): ListenAddress {
  const text = typeof input === "string" ? input.trim() : "";
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(text);
  const plain = /^([^:[\]]*):([^:]*)$/.exec(text);
  const host = bracketed?.[1] ?? plain?.[1];
  const portText = bracketed?.[2] ?? plain?.[2];
  if (host === undefined || portText === undefined || /\s/.test(host)) {
    throw new Error(`invalid listen address ${describeTomlValue(input)} (${FORMS})`);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new Error(`invalid port in listen address ${describeTomlValue(input)} (expected 0..65535)`);
  }
  return { host: host === "" ? DEFAULT_HOST : host, port };
}

/** "host:port", with IPv6 hosts in brackets so the result parses back. */
export function formatListenAddress({ host, port }: ListenAddress): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
