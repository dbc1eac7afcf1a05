import { parseArgs } from "node:util";
import { startMinimalProxy } from "./minimal-proxy.js";

/** `node minimal-proxy-main.js --upstream URL [--port N]`: the minimal proxy in a process of its own. */
const { values } = parseArgs({ options: { upstream: { type: "string" }, port: { type: "string" } } });
if (values.upstream === undefined) {
  console.error("usage: minimal-proxy-main --upstream http://127.0.0.1:PORT [--port N]");
  process.exit(2);
}
const proxy = await startMinimalProxy(values.upstream, Number(values.port ?? 0));
console.log(`minimal proxy listening on ${proxy.url}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => void proxy.close().then(() => process.exit(0)));
}
