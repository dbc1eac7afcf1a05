/** Helpers to write the sample tool definitions compactly. */

export interface JsonSchemaProperty {
  readonly type: string;
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly items?:
    | JsonSchemaProperty
    | { readonly type: "object"; readonly properties: PropertyMap; readonly required?: readonly string[] };
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
}

export type PropertyMap = Readonly<Record<string, JsonSchemaProperty>>;

export interface SampleTool {
  readonly type: "function";
  readonly function: {
    readonly name: string;
    readonly description: string;
    readonly parameters: {
      readonly type: "object";
      readonly properties: PropertyMap;
      readonly required: readonly string[];
      readonly additionalProperties: false;
    };
  };
}

export function tool(
  name: string,
  description: string,
  properties: PropertyMap,
  required: readonly string[],
): SampleTool {
  return {
    type: "function",
    function: {
      name,
      description,
      parameters: { type: "object", properties, required, additionalProperties: false },
    },
  };
}

export const str = (description: string): JsonSchemaProperty => ({ type: "string", description });
export const int = (description: string, minimum?: number): JsonSchemaProperty => ({
  type: "integer",
  description,
  ...(minimum === undefined ? {} : { minimum }),
});
export const bool = (description: string, fallback: boolean): JsonSchemaProperty => ({
  type: "boolean",
  description,
  default: fallback,
});
