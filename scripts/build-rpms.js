#!/usr/bin/env node
// `node scripts/build-rpms.js [--out DIR] [--only cortex|cortex-neuron] [--without-gpu] [--fast] [--no-build]`
//
// Builds the RPMs the seed ships (packaging/rpm/*.spec): `cortex` (the gateway) and `cortex-neuron`
// (providing `neuron`), each from the workspace's `npm pack` tarballs. Needs rpmbuild (Debian and Ubuntu:
// `apt-get install rpm`; $RPMBUILD names another one). --without-gpu leaves llama.cpp's CUDA and Vulkan
// builds out of cortex-neuron, --fast writes uncompressed payloads (for tests), --no-build skips
// `npm run build`. Prints the RPM paths, one a line.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(root, "dist-rpm") },
    only: { type: "string", multiple: true },
    "without-gpu": { type: "boolean", default: false },
    fast: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
  },
});
const out = resolve(values.out);
const specs = values.only ?? ["cortex", "cortex-neuron"];
const rpmbuild = process.env.RPMBUILD ?? "rpmbuild";
const version = JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")).version;

/** The packages a cortex install consists of, in the order the specs number their sources. */
const PACKAGES = ["core", "neuron", "gateway", "cli"];
/** Everything else the specs take from the sources folder. */
const FILES = [
  "packaging/systemd/neuron.service",
  "packaging/systemd/cortex.service",
  "packaging/config/neuron.toml",
  "packaging/config/neuron.env",
  "packaging/config/cortex.toml",
  "packaging/config/cortex.sysusers",
  "packaging/rpm/cortex-common.inc",
  "LICENSE",
  "docs/operations.md",
  "docs/models.md",
  "cortex.example.toml",
  "models.example.toml",
  "neuron.example.toml",
];

const run = (command, args, options = {}) =>
  execFileSync(command, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], ...options });

if (!values["no-build"]) run("npm", ["run", "build"], { stdio: ["ignore", "inherit", "inherit"] });
const sources = join(out, "SOURCES");
mkdirSync(sources, { recursive: true });
const packed = JSON.parse(
  run("npm", [
    "pack",
    "--json",
    "--pack-destination",
    sources,
    ...PACKAGES.flatMap((name) => ["--workspace", `packages/${name}`]),
  ]).toString(),
);
for (const name of PACKAGES) {
  if (!packed.some((entry) => entry.filename === `cortex-${name}-${version}.tgz`)) {
    throw new Error(`npm pack did not write cortex-${name}-${version}.tgz`);
  }
}
for (const file of FILES) copyFileSync(join(root, file), join(sources, file.split("/").at(-1)));

for (const spec of specs) {
  run(
    rpmbuild,
    [
      "-bb",
      // Build dependencies are checked against the rpm database, which a Debian build host does not fill.
      "--nodeps",
      "--define",
      `_topdir ${out}`,
      "--define",
      `_sourcedir ${sources}`,
      "--define",
      `cortex_version ${version}`,
      ...(values["without-gpu"] ? ["--without", "gpu"] : []),
      ...(values.fast ? ["--define", "_binary_payload w0.ufdio"] : []),
      join(root, "packaging/rpm", `${spec}.spec`),
    ],
    { stdio: ["ignore", process.stderr, "inherit"] },
  );
}
const rpms = join(out, "RPMS");
for (const arch of readdirSync(rpms)) {
  for (const name of readdirSync(join(rpms, arch))) {
    if (specs.some((spec) => name.startsWith(`${spec}-${version}-`))) console.log(join(rpms, arch, name));
  }
}
