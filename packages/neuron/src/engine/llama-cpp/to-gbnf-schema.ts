import type { GbnfJsonSchema } from "node-llama-cpp";

export interface GbnfSchemaOptions {
  /**
   * Random weights never close an open string or array, so the test hook bounds them; real models
   * do not need it.
   */
  boundOpenEnded?: boolean;
}

const ANY: GbnfJsonSchema = { type: ["string", "number", "boolean", "null"] };
const BOUNDED_STRING = 24;
const BOUNDED_ITEMS = 3;

/**
 * Real tool schemas (Claude Code sends draft 2020-12 with `$schema`, `exclusiveMinimum`, huge
 * `maximum`s, `$ref`s) → the subset node-llama-cpp can compile into a grammar. Keywords it cannot
 * express are dropped, so generation is constrained at least as far as the grammar can go.
 */
export function toGbnfSchema(schema: unknown, options: GbnfSchemaOptions = {}): GbnfJsonSchema {
  return convert(schema, options, 0);
}

function convert(schema: unknown, options: GbnfSchemaOptions, depth: number): GbnfJsonSchema {
  if (typeof schema !== "object" || schema === null || depth > 12) return ANY;
  const s = schema as Record<string, unknown>;
  const description = typeof s.description === "string" ? { description: s.description } : {};
  if ("const" in s && isScalar(s.const)) return { const: s.const, ...description };
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every(isScalar)) {
    return { enum: s.enum, ...description };
  }
  const variants = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null) as
    unknown[] | null;
  if (variants && variants.length > 0) {
    return { oneOf: variants.map((variant) => convert(variant, options, depth + 1)), ...description };
  }
  const type = Array.isArray(s.type) ? s.type : s.type === undefined ? inferType(s) : [s.type];
  if (type.length !== 1) {
    // A nullable object or array (["array", "null"]) must keep its structure, not collapse to null.
    if (type.some((t) => t === "object" || t === "array")) {
      return { oneOf: type.map((t) => convert({ ...s, type: t }, options, depth + 1)), ...description };
    }
    const scalars = type.filter(isBasicType);
    return scalars.length > 0 ? { type: scalars, ...description } : ANY;
  }
  switch (type[0]) {
    case "object":
      return convertObject(s, options, depth, description);
    case "array": {
      const items = s.items === undefined ? ANY : convert(s.items, options, depth + 1);
      const maxItems = numberOr(s.maxItems, options.boundOpenEnded ? BOUNDED_ITEMS : undefined);
      const minItems = numberOr(s.minItems, undefined);
      return {
        type: "array",
        items,
        ...(minItems === undefined ? {} : { minItems }),
        ...(maxItems === undefined ? {} : { maxItems }),
        ...description,
      };
    }
    case "string": {
      const maxLength = numberOr(s.maxLength, options.boundOpenEnded ? BOUNDED_STRING : undefined);
      const minLength = numberOr(s.minLength, undefined);
      return {
        type: "string",
        ...(minLength === undefined ? {} : { minLength }),
        ...(maxLength === undefined ? {} : { maxLength }),
        ...description,
      };
    }
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return { type: type[0], ...description };
    default:
      return ANY;
  }
}

function convertObject(
  s: Record<string, unknown>,
  options: GbnfSchemaOptions,
  depth: number,
  description: { description?: string },
): GbnfJsonSchema {
  const properties: Record<string, GbnfJsonSchema> = {};
  const source = typeof s.properties === "object" && s.properties !== null ? s.properties : {};
  for (const [key, value] of Object.entries(source)) properties[key] = convert(value, options, depth + 1);
  const required = Array.isArray(s.required)
    ? s.required.filter((key): key is string => typeof key === "string" && key in properties)
    : [];
  const hasProperties = Object.keys(properties).length > 0;
  return {
    type: "object",
    properties,
    required,
    // A free-form object ({} or additionalProperties: true) keeps accepting keys; a described one does not.
    additionalProperties: hasProperties ? false : options.boundOpenEnded ? false : true,
    ...description,
  };
}

function inferType(s: Record<string, unknown>): string[] {
  if ("properties" in s) return ["object"];
  if ("items" in s) return ["array"];
  return [];
}

type BasicType = "string" | "number" | "integer" | "boolean" | "null";
function isBasicType(value: unknown): value is BasicType {
  return (
    value === "string" || value === "number" || value === "integer" || value === "boolean" || value === "null"
  );
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : fallback;
}
