import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { loadCortexConfig, loadNeuronConfig } from "@cortex/core";
import { repoRoot } from "@cortex/testkit";
import { testTool } from "@cortex/testkit/test-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = repoRoot();
const version = (
  JSON.parse(await readFile(join(root, "packages/cli/package.json"), "utf8")) as { version: string }
).version;

let out: string;
let rpms: { cortex: string; neuron: string };
let rpm: string;

/** `rpm -qp <query> <file>` as lines. */
async function query(file: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(rpm, ["-qp", ...args, file], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split("\n").filter((line) => line !== "");
}

/** The package's payload, unpacked as it would land on / (under a temp root). */
async function unpack(file: string): Promise<string> {
  const dir = join(out, "root", file.split("/").at(-1) ?? "rpm");
  await mkdir(dir, { recursive: true });
  const rpm2archive = join(dirname(rpm), "rpm2archive");
  await run("/bin/sh", ["-c", `"$0" - < "$1" | tar -xzf - -C "$2"`, rpm2archive, file, dir]);
  return dir;
}

beforeAll(async () => {
  const rpmbuild = testTool("rpmbuild");
  rpm = join(dirname(rpmbuild), "rpm");
  out = await mkdtemp(join(tmpdir(), "cortex-rpm-"));
  // dist/ is built (npm test typechecks with tsc -b first); GPU builds of llama.cpp and payload
  // compression only make the packages bigger and slower to write, not different in what is checked.
  const { stdout } = await run(
    process.execPath,
    [join(root, "scripts/build-rpms.js"), "--out", out, "--without-gpu", "--fast", "--no-build"],
    { env: { ...process.env, RPMBUILD: rpmbuild }, maxBuffer: 64 * 1024 * 1024 },
  );
  const files = stdout.split("\n").filter((line) => line.endsWith(".rpm"));
  const find = (name: string): string =>
    files.find((file) => file.split("/").at(-1)?.startsWith(`${name}-${version}-`)) ?? "";
  rpms = { cortex: find("cortex"), neuron: find("cortex-neuron") };
}, 900_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

/** What every requirement of our packages must be: node, a shell for the scriptlets, useradd. */
const ALLOWED_REQUIRES =
  /^(\/bin\/sh|nodejs >= 20\.18|shadow-utils|config\(cortex(-neuron)?\) = .*|rpmlib\(.*)$/;

describe("cortex-neuron RPM", () => {
  it("installs neuron, neuron.service, a default config under /etc/cortex, the system user; needs only node", async () => {
    const files = await query(rpms.neuron, "-l");
    expect(files).toEqual(
      expect.arrayContaining([
        "/usr/bin/neuron",
        "/usr/lib/systemd/system/neuron.service",
        "/etc/cortex/neuron.toml",
        "/etc/cortex/neuron.env",
        "/usr/lib/sysusers.d/cortex-neuron.conf",
        "/var/lib/cortex/models",
        "/usr/lib/cortex-neuron/node_modules/@cortex/cli/bin/neuron.js",
        `/usr/share/licenses/cortex-neuron-${version}/LICENSE`,
      ]),
    );
    // llama.cpp prebuilt for this architecture only (and, built --without gpu, for the CPU only).
    expect(files.filter((file) => /@node-llama-cpp\/[^/]+$/.test(file))).toEqual([
      "/usr/lib/cortex-neuron/node_modules/@node-llama-cpp/linux-x64",
    ]);
    const requires = await query(rpms.neuron, "--requires");
    expect(requires).toContain("nodejs >= 20.18");
    expect(requires.filter((line) => !ALLOWED_REQUIRES.test(line))).toEqual([]);
    expect(await query(rpms.neuron, "--provides")).toContain(`neuron = ${version}-1`);
    expect((await query(rpms.neuron, "--scripts")).join("\n")).toMatch(/useradd -r -g cortex .* cortex/);
    expect(await query(rpms.neuron, "--queryformat", "%{LICENSE}")).toEqual(["GPL-3.0-only"]);
  });
});

describe("cortex RPM", () => {
  it("installs cortex, cortex.service, a default config under /etc/cortex, the system user; needs only node", async () => {
    const files = await query(rpms.cortex, "-l");
    expect(files).toEqual(
      expect.arrayContaining([
        "/usr/bin/cortex",
        "/usr/lib/systemd/system/cortex.service",
        "/etc/cortex/cortex.toml",
        "/usr/lib/sysusers.d/cortex.conf",
        "/usr/lib/cortex/node_modules/@cortex/cli/bin/cortex.js",
        "/usr/lib/cortex/node_modules/@cortex/gateway/src/dashboard/assets/index.html",
      ]),
    );
    expect(files.some((file) => file.includes("@node-llama-cpp/"))).toBe(false);
    expect(files).not.toContain("/usr/bin/neuron");
    const requires = await query(rpms.cortex, "--requires");
    expect(requires).toContain("nodejs >= 20.18");
    expect(requires.filter((line) => !ALLOWED_REQUIRES.test(line))).toEqual([]);
  });
});

describe("the packed tarballs, installed together into an empty prefix (the cortex RPM's payload)", () => {
  it("run cortex --help and neuron --help without the monorepo", async () => {
    const tree = await unpack(rpms.cortex);
    const cortexHelp = await run(process.execPath, [join(tree, "usr/bin/cortex"), "--help"]);
    expect(cortexHelp.stdout).toMatch(/^Usage: cortex /);
    expect(cortexHelp.stdout).toMatch(/\n {2}pull \[options\] <model>/);
    const neuron = join(tree, "usr/lib/cortex/node_modules/@cortex/cli/bin/neuron.js");
    const neuronHelp = await run(process.execPath, [neuron, "--help"]);
    expect(neuronHelp.stdout).toMatch(/^Usage: neuron /);
  });
});

describe("what the packages install", () => {
  it("the default configurations load", async () => {
    const cortex = await loadCortexConfig(join(root, "packaging/config/cortex.toml"));
    expect(cortex.neurons.map((neuron) => neuron.endpoint)).toEqual(["http://127.0.0.1:13131"]);
    const neuron = await loadNeuronConfig(join(root, "packaging/config/neuron.toml"));
    expect(neuron.modelsDir).toBe("/var/lib/cortex/models");
  });

  it("the units start what the packages install, with the config they install", async () => {
    for (const [unit, command] of [
      ["neuron.service", "/usr/bin/neuron serve --config /etc/cortex/neuron.toml"],
      ["cortex.service", "/usr/bin/cortex serve --config /etc/cortex/cortex.toml"],
    ] as const) {
      const text = await readFile(join(root, "packaging/systemd", unit), "utf8");
      expect(text).toContain(`\nExecStart=${command}\n`);
      expect(text).toContain("\nUser=cortex\n");
    }
  });
});
