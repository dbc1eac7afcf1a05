import { z } from "zod";
import type { UnknownKeyParams } from "./format-config-issues.js";

/**
 * A TOML table with exactly these keys. Unknown keys are reported one issue each (the formatter adds the
 * did-you-mean), and the check runs even when other keys are wrong, so one pass shows every problem.
 */
export function configTable<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape);
  return z
    .looseObject(shape)
    .superRefine(
      (value, ctx) => {
        // Also runs when the value was not a table at all; that already has its own issue.
        if (typeof value !== "object" || value === null || Array.isArray(value)) return;
        for (const [key, input] of Object.entries(value)) {
          if (Object.hasOwn(shape, key)) continue;
          const params: UnknownKeyParams = { unknownKey: true, allowed };
          ctx.addIssue({ code: "custom", path: [key], message: "unknown key", params, input });
        }
      },
      { when: () => true },
    )
    .transform((value) => value as z.output<z.ZodObject<Shape>>);
}
