import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CortexError } from "@cortex/core";
import type { FastifyReply } from "fastify";

/** The page's files: plain HTML, CSS and ES modules in `assets/`, served as they are (no build step). */
const ASSET_NAME = /^[a-z0-9-]+\.(html|css|js)$/;
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
};

/** Nothing but the gateway itself: no inline script, no external host. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

let assetsDir: string | undefined;

/** `assets/` beside this module when running from source, or in `src/` when running the compiled `dist/`. */
function findAssetsDir(): string {
  const candidates = [
    new URL("./assets/", import.meta.url),
    new URL("../../src/dashboard/assets/", import.meta.url),
  ];
  const found = candidates.map((url) => fileURLToPath(url)).find((dir) => existsSync(`${dir}index.html`));
  if (!found) throw new CortexError("internal_error", "dashboard assets not found next to the gateway");
  return found;
}

export async function sendDashboardAsset(reply: FastifyReply, name: string): Promise<FastifyReply> {
  const type = CONTENT_TYPES[ASSET_NAME.exec(name)?.[1] ?? ""];
  if (type === undefined) throw new CortexError("not_found", `no dashboard asset ${name}`);
  assetsDir ??= findAssetsDir();
  const body = await readFile(`${assetsDir}${name}`).catch((error: unknown) => {
    throw new CortexError("not_found", `no dashboard asset ${name}`, { cause: error });
  });
  return reply.headers(SECURITY_HEADERS).type(type).send(body);
}
