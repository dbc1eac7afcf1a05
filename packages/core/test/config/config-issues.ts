import { expect } from "vitest";
import { ConfigError } from "../../src/config/index.js";

/** The issue lines a config function throws; fails the test when it does not throw a ConfigError. */
export function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error("expected a ConfigError, but the config was accepted");
}
