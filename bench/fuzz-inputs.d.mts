// Types of bench/fuzz-inputs.mjs for the property tests (test/fuzz/).
import type { Arbitrary } from "fast-check";

export const EXAMPLE_CONFIG: string;
export const yamlishText: Arbitrary<string>;
export const nearSchemaObject: Arbitrary<unknown>;
export const nearSchemaText: Arbitrary<string>;
export const mutatedExampleConfig: Arbitrary<string>;
export const deeplyNestedConfig: Arbitrary<string>;
export function repeatedPattern(tokens: readonly string[], maxBytes: number, minBytes?: number): Arbitrary<string>;
export const YAML_PATTERN_TOKENS: readonly string[];
export const markdownBody: Arbitrary<string>;
export const MARKDOWN_PATTERN_TOKENS: readonly string[];
export const REAL_PULL_PAYLOADS: readonly Record<string, unknown>[];
export const mutatedPayload: Arbitrary<Record<string, unknown>>;
