import { propertyTest } from "@cortex/testkit/fuzz";
import { parse } from "smol-toml";
import { describe, expect } from "vitest";
import {
  ConfigError,
  parseCortexConfig,
  parseModelsConfig,
  parseNeuronConfig,
} from "../../src/config/index.js";
import { cortexToml, modelsToml, neuronToml } from "./config-documents.js";

/**
 * The three config loaders on valid, mutated, damaged and random TOML: a configuration, or a ConfigError
 * whose every issue is one line (`<file>: <path>: <problem>`), never another exception or a stack. What
 * loads must also be usable as it is: a timeout Node.js cannot arm is not a valid result.
 */

/** The longest delay `setTimeout` and `AbortSignal.timeout` honour; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function loadedOrConfigError<T>(file: string, load: () => T): T | undefined {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw new Error(
        `not a ConfigError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        {
          cause: error,
        },
      );
    }
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(issue, "one line per issue").not.toMatch(/[\r\n]/);
      expect(issue.startsWith(`${file}: `), issue).toBe(true);
      expect(issue.length).toBeLessThan(2000);
    }
    return undefined;
  }
}

function expectTimer(ms: number): void {
  expect(Number.isSafeInteger(ms) && ms >= 1 && ms <= MAX_TIMER_MS, `timer of ${ms} ms`).toBe(true);
}

describe("config loaders: fuzzed files", () => {
  propertyTest(
    "cortex.toml: a configuration whose every timer can be armed, or one-line issues",
    150,
    cortexToml(),
    (text) => {
      const config = loadedOrConfigError("cortex.toml", () =>
        parseCortexConfig(text, "cortex.toml", "/etc/cortex"),
      );
      if (!config) return;
      expect(Object.isFrozen(config.timeouts)).toBe(true);
      for (const ms of Object.values(config.timeouts)) expectTimer(ms);
      expectTimer(config.fleet.pollInterval);
    },
  );

  propertyTest("models.toml: a configuration, or one-line issues", 150, modelsToml(), (text) => {
    const config = loadedOrConfigError("models.toml", () =>
      parseModelsConfig(text, "models.toml", "/etc/cortex"),
    );
    if (config) expect(Object.isFrozen(config.models)).toBe(true);
  });

  propertyTest(
    "neuron.toml: a configuration keeping every per-model override, or one-line issues",
    150,
    neuronToml(),
    (text) => {
      const config = loadedOrConfigError("neuron.toml", () => parseNeuronConfig(text, "neuron.toml", "/srv"));
      if (!config) return;
      const models = (parse(text) as { models?: object }).models ?? {};
      expect(Object.keys(config.models).sort()).toEqual(Object.keys(models).sort());
    },
  );
});
