import type { AddressInfo } from "node:net";
import { formatListenAddress, type ListenAddress } from "../config/listen-address.js";

/**
 * Who can reach a server, judged from its listen address and its credentials: the start-up warnings
 * for an open deployment and the Host check against DNS rebinding (issue 11, finding 8). Pure.
 */

/** A listen host only this machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped) or "localhost". */
export function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return (
    bare === "localhost" ||
    bare === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  );
}

/** The same, for a `Host` header: a loopback host with an optional port. A missing header passes. */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return true;
  const host = /^(\[[^\]]*\]|[^:]*)(:\d*)?$/.exec(header.trim())?.[1];
  return host !== undefined && isLoopbackHost(host);
}

/** "0.0.0.0:31313 (all interfaces)": where a server really listens, as a start line should say. */
export function describeListen(listen: ListenAddress): string {
  const all = listen.host === "0.0.0.0" || listen.host === "::";
  return `${formatListenAddress(listen)}${all ? " (all interfaces)" : ""}`;
}

/**
 * The URL a server is really bound to (`http://0.0.0.0:31313` when on all interfaces), for start
 * lines; and one a client on this machine can connect to (loopback for a wildcard bind).
 */
export function boundUrls(address: AddressInfo | string | null): { bound: string; local: string } {
  if (typeof address !== "object" || address === null) throw new Error("server is not listening");
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  const local = wildcard ? "127.0.0.1" : address.address;
  return {
    bound: `http://${formatListenAddress({ host: address.address, port: address.port })}`,
    local: `http://${formatListenAddress({ host: local, port: address.port })}`,
  };
}

/** Warnings for a gateway that others can reach without the credentials that would keep them out. */
export function gatewayExposureWarnings(gateway: {
  listen: ListenAddress;
  apiKeys: readonly string[];
  adminKey: string | undefined;
}): string[] {
  if (isLoopbackHost(gateway.listen.host)) return [];
  const where = `the gateway listens on ${describeListen(gateway.listen)}`;
  if (gateway.apiKeys.length === 0) {
    return [
      `OPEN DEPLOYMENT: ${where} without api_keys: anyone who can reach it can use every model and the ` +
        `admin API (load, unload, pin). Set gateway.api_keys and gateway.admin_key, or listen on 127.0.0.1.`,
    ];
  }
  if (gateway.adminKey === undefined) {
    return [
      `${where} without admin_key: every API key can also load, unload and pin models. ` +
        `Set gateway.admin_key to keep /admin/* for operators.`,
    ];
  }
  return [];
}

/** Warnings for a neuron that others can reach without a token. */
export function neuronExposureWarnings(neuron: {
  listen: ListenAddress;
  authToken: string | undefined;
}): string[] {
  if (isLoopbackHost(neuron.listen.host) || neuron.authToken !== undefined) return [];
  return [
    `OPEN DEPLOYMENT: the neuron listens on ${describeListen(neuron.listen)} without auth_token: anyone ` +
      `who can reach it can load and unload models and run inference. Set auth_token here and ` +
      `neuron_token in cortex.toml, or listen on 127.0.0.1.`,
  ];
}

/**
 * A keyless server on loopback trusts whoever can connect, and a web page can connect too: DNS
 * rebinding points a name the page controls at 127.0.0.1. Browsers always send that name as `Host`,
 * so such a server answers only requests whose Host is a loopback name. Null when the request passes.
 */
export function foreignHostRefusal(
  host: string | undefined,
  what: string,
  credential: string,
): string | null {
  if (isLoopbackHostHeader(host)) return null;
  return (
    `Host ${JSON.stringify(host)} is not a loopback name: this ${what} has no ${credential} and answers ` +
    `only local clients (protection against DNS rebinding); set ${credential} to serve other names`
  );
}
