// Checks a request the app sends to GitHub against GitHub's published API descriptions: the REST
// OpenAPI description for api.github.com (@octokit/openapi) and, for `POST /graphql`, the public
// GraphQL schema (@octokit/graphql-schema). Tests run against a fake GitHub that answers whatever
// it is told; this is what keeps the fake honest: a request GitHub would reject (or silently
// ignore a part of) is reported as a problem here even though the fake answered it.
//
// Both descriptions are large, so each is read once per test file, on first use, and validators
// are compiled per operation only when an operation is first seen.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import {
  buildClientSchema,
  type DocumentNode,
  type FragmentDefinitionNode,
  type FieldNode,
  getNamedType,
  getVariableValues,
  type GraphQLError,
  type GraphQLSchema,
  type IntrospectionQuery,
  Kind,
  type OperationDefinitionNode,
  parse,
  TypeInfo,
  validate as validateGraphQL,
  visit,
  visitWithTypeInfo,
} from "graphql";

export interface ApiRequest {
  method: string;
  /** The path as sent, with its query string, e.g. `/repos/o/r/contents/a%2Fb?ref=main`. */
  path: string;
  headers?: Record<string, string | string[] | number | undefined>;
  /** The parsed JSON body (or the raw text when it was not JSON); undefined when none was sent. */
  body?: unknown;
}

type Schema = Record<string, any>;
interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
}
interface Description {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, Parameter> };
}
interface Route {
  template: string;
  segments: { literal?: string; param?: string }[];
  operations: Map<string, Operation>;
  pathParameters: (Parameter | { $ref: string })[];
}

const require = createRequire(import.meta.url);
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
/** Trailing path parameters GitHub accepts with unencoded slashes (a file path, a git ref). */
const SLASHED_PARAMETERS = new Set(["path", "ref", "basehead"]);
/** Documented in parameter descriptions ("max 100") but not in the schemas. */
const MAX_PER_PAGE = 100;

// ---------------------------------------------------------------------------------------------
// Loading, once per test file

let loaded: { description: Description; routes: Route[]; loadMs: number } | undefined;

function openapi() {
  if (loaded) return loaded;
  const started = performance.now();
  // Only the one file: the package's index.js would parse every GHES/GHEC variant too (~400 MB).
  const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
  const description = JSON.parse(readFileSync(file, "utf8")) as Description;
  const routes: Route[] = Object.entries(description.paths).map(([template, item]) => ({
    template,
    segments: template
      .split("/")
      .slice(1)
      .map((s) => (/^\{[^}]+\}$/.test(s) ? { param: s.slice(1, -1) } : { literal: s })),
    operations: new Map(METHODS.filter((m) => item[m]).map((m) => [m.toUpperCase(), item[m] as Operation])),
    pathParameters: (item.parameters as Parameter[] | undefined) ?? [],
  }));
  loaded = { description, routes, loadMs: performance.now() - started };
  return loaded;
}

/** Milliseconds it took to read and index the REST description (0 when not loaded yet). */
export function descriptionLoadMs(): number {
  return loaded?.loadMs ?? 0;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schema → JSON Schema that Ajv validates

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
// ajv-formats is CommonJS: under Node's ESM loader the plugin is the default export itself.
type FormatsPlugin = (a: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;
addFormats(ajv);
// Formats GitHub's description uses that JSON Schema does not define: not checkable, so accepted.
for (const name of ["int32", "int64", "binary", "repo.nwo", "uri-template", "float", "double", "byte", "password"]) {
  if (!ajv.formats[name]) ajv.addFormat(name, true);
}

/** OpenAPI-only keywords that mean nothing to a validator (`example` is one value, not a list). */
const ANNOTATIONS = new Set(["example", "examples", "discriminator", "xml", "externalDocs", "deprecated", "readOnly", "writeOnly"]);

/**
 * Converts one OpenAPI schema: `nullable: true` becomes a `null` type (OpenAPI 3.0 has no null
 * type), boolean `exclusiveMinimum/Maximum` (3.0) become numbers, component `$ref`s point into
 * `definitions`, and the components referenced are converted too. 3.1 schemas pass unchanged.
 */
function toJsonSchema(schema: unknown, definitions: Record<string, Schema>): any {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, definitions));
  if (!schema || typeof schema !== "object") return schema;
  const source = schema as Schema;
  if (typeof source.$ref === "string") {
    const name = source.$ref.replace("#/components/schemas/", "");
    if (!(name in definitions)) {
      definitions[name] = {}; // placeholder first: schemas can refer to themselves
      definitions[name] = toJsonSchema(openapi().description.components.schemas[name], definitions);
    }
    return { $ref: `#/definitions/${name}` };
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (ANNOTATIONS.has(key) || key.startsWith("x-") || key === "nullable") continue;
    if (key === "properties" || key === "patternProperties") {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([p, s]) => [p, toJsonSchema(s, definitions)]));
    } else if (["items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"].includes(key)) {
      out[key] = toJsonSchema(value, definitions);
    } else if ((key === "exclusiveMinimum" || key === "exclusiveMaximum") && typeof value === "boolean") {
      continue; // handled below, with its bound
    } else {
      out[key] = value;
    }
  }
  for (const [exclusive, bound] of [["exclusiveMinimum", "minimum"], ["exclusiveMaximum", "maximum"]] as const) {
    if (source[exclusive] === true && typeof source[bound] === "number") {
      out[exclusive] = source[bound];
      delete out[bound];
    }
  }
  if (source.nullable === true) {
    if (out.type !== undefined) {
      out.type = [...(Array.isArray(out.type) ? out.type : [out.type]), "null"];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else {
      return { anyOf: [out, { type: "null" }] };
    }
  }
  return out;
}

interface CompiledSchema {
  validate: ValidateFunction;
  root: Schema;
}
const compiled = new Map<string, CompiledSchema>();

function compile(key: string, schema: Schema): CompiledSchema {
  let entry = compiled.get(key);
  if (!entry) {
    const definitions: Record<string, Schema> = {};
    const root = { ...toJsonSchema(schema, definitions), definitions };
    entry = { validate: ajv.compile(root), root };
    compiled.set(key, entry);
  }
  return entry;
}

function describeErrors(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = `${where}${e.instancePath}`;
    const allowed = e.keyword === "enum" ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")})` : "";
    return `${at} ${e.message}${allowed}`;
  });
}

/**
 * Fields the description does not document. GitHub ignores them silently, so a typo such as
 * `conclusoin` would otherwise pass unnoticed; schemas almost never say `additionalProperties: false`.
 * Objects whose schema allows extra properties, or declares none, are free-form and not checked.
 */
function undocumentedFields(value: unknown, schema: Schema | undefined, definitions: Record<string, Schema>, at: string): string[] {
  const resolve = (s: Schema | undefined): Schema | undefined =>
    s && typeof s.$ref === "string" ? definitions[s.$ref.replace("#/definitions/", "")] : s;
  const branches = (s: Schema | undefined): Schema[] => {
    const r = resolve(s);
    if (!r) return [];
    return [r, ...["allOf", "anyOf", "oneOf"].flatMap((k) => ((r[k] as Schema[] | undefined) ?? []).flatMap(branches))];
  };
  const all = branches(schema);
  if (Array.isArray(value)) {
    const items = all.map((b) => b.items as Schema | undefined).find((i) => i && typeof i === "object");
    return value.flatMap((v, i) => undocumentedFields(v, items, definitions, `${at}/${i}`));
  }
  if (!value || typeof value !== "object") return [];
  const declared = all.filter((b) => b.properties);
  // `additionalProperties: true` inside anyOf/oneOf branches only keeps a conditional branch from
  // rejecting the other fields (as in "update a check run"); it does not make the object free-form.
  const open = all.some((b) => typeof b.additionalProperties === "object") || resolve(schema)?.additionalProperties === true;
  if (declared.length === 0 || open) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
    const property = declared.find((b) => key in (b.properties as Schema))?.properties[key] as Schema | undefined;
    if (!property) return [`${at}/${key} is not a documented field`];
    return undocumentedFields(v, property, definitions, `${at}/${key}`);
  });
}

// ---------------------------------------------------------------------------------------------
// REST

function matchRoute(segments: string[]): { route: Route; values: Record<string, string> } | undefined {
  let best: { route: Route; values: Record<string, string>; literals: number } | undefined;
  for (const route of openapi().routes) {
    const greedy = route.segments.length < segments.length && SLASHED_PARAMETERS.has(route.segments.at(-1)?.param ?? "");
    if (route.segments.length !== segments.length && !greedy) continue;
    const values: Record<string, string> = {};
    let literals = 0;
    const ok = route.segments.every((s, i) => {
      const isLast = i === route.segments.length - 1;
      const actual = greedy && isLast ? segments.slice(i).join("/") : segments[i]!;
      if (s.literal !== undefined) {
        literals++;
        return s.literal === actual;
      }
      values[s.param!] = actual;
      return actual !== "";
    });
    if (!ok) continue;
    // Literal segments win over parameters (`/pulls/comments` is not pull number "comments"),
    // and an exact segment count wins over a parameter that swallows slashes (`{path}`, `{ref}`).
    const score = literals + (greedy ? 0 : 1000);
    if (!best || score > best.literals) best = { route, values, literals: score };
  }
  return best;
}

function resolveParameter(p: Parameter | { $ref: string }): Parameter {
  return "$ref" in p ? openapi().description.components.parameters[p.$ref.replace("#/components/parameters/", "")]! : p;
}

/** Path and query values arrive as text; read them as the type the parameter's schema says. */
function fromText(text: string, schema: Schema | undefined): unknown {
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (type === "boolean" && (text === "true" || text === "false")) return text === "true";
  if (type === "array") return text.split(",").map((t) => fromText(t, schema?.items as Schema | undefined));
  return text;
}

function checkParameter(opKey: string, p: Parameter, text: string): string[] {
  if (!p.schema) return [];
  const { validate } = compile(`${opKey} ${p.in} ${p.name}`, p.schema);
  const value = fromText(text, p.schema);
  const problems = validate(value) ? [] : describeErrors(`${p.in} parameter ${p.name}=${JSON.stringify(text)}`, validate.errors);
  if (p.name === "per_page" && typeof value === "number" && value > MAX_PER_PAGE) {
    problems.push(`query parameter per_page=${value} is over GitHub's maximum of ${MAX_PER_PAGE}`);
  }
  return problems;
}

function header(headers: ApiRequest["headers"], name: string): string | undefined {
  const found = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name);
  const value = found?.[1];
  return value === undefined ? undefined : Array.isArray(value) ? value.join(", ") : String(value);
}

/** Rules GitHub documents in prose for check runs, beyond what the JSON schema can say. */
function checkRunRules(body: Record<string, unknown>): string[] {
  const completes = body.status === "completed" || body.completed_at !== undefined;
  return completes && body.conclusion === undefined ? ["body: a check run that is completed (status or completed_at) must have a conclusion"] : [];
}

function checkRest(method: string, path: string, headers: ApiRequest["headers"], body: unknown): string[] {
  const [pathname = "", query = ""] = path.split("?", 2);
  const match = matchRoute(pathname.split("/").slice(1));
  if (!match) return [`no such route in GitHub's REST API description`];
  const operation = match.route.operations.get(method);
  if (!operation) {
    return [`${match.route.template} has no ${method} operation (documented: ${[...match.route.operations.keys()].join(", ")})`];
  }
  const opKey = `${method} ${match.route.template}`;
  const problems: string[] = [];
  const parameters = [...match.route.pathParameters, ...(operation.parameters ?? [])].map(resolveParameter);

  for (const p of parameters.filter((p) => p.in === "path")) {
    const raw = match.values[p.name];
    if (raw === undefined) continue;
    let text: string;
    try {
      text = decodeURIComponent(raw);
    } catch {
      problems.push(`path parameter ${p.name}=${JSON.stringify(raw)} is not valid percent-encoding`);
      continue;
    }
    problems.push(...checkParameter(opKey, p, text));
  }

  const searchParams = new URLSearchParams(query);
  const queryParameters = parameters.filter((p) => p.in === "query");
  for (const name of new Set(searchParams.keys())) {
    const p = queryParameters.find((q) => q.name === name);
    if (!p) problems.push(`query parameter ${name} is not documented for ${opKey}`);
    else for (const value of searchParams.getAll(name)) problems.push(...checkParameter(opKey, p, value));
  }
  for (const p of parameters.filter((p) => p.required && (p.in === "query" || p.in === "header"))) {
    const present = p.in === "query" ? searchParams.has(p.name) : header(headers, p.name.toLowerCase()) !== undefined;
    if (!present) problems.push(`required ${p.in} parameter ${p.name} is missing`);
  }

  const hasBody = body !== undefined && body !== "";
  const requestBody = operation.requestBody;
  if (!requestBody) {
    if (hasBody) problems.push(`${opKey} takes no request body, but one was sent`);
    return problems;
  }
  if (!hasBody) {
    if (requestBody.required) problems.push(`${opKey} requires a request body, but none was sent`);
    return problems;
  }
  const contentType = header(headers, "content-type")?.split(";")[0]?.trim();
  if (contentType !== undefined && !(contentType in requestBody.content)) {
    problems.push(`content-type ${contentType} is not accepted (documented: ${Object.keys(requestBody.content).join(", ")})`);
  }
  const schema = requestBody.content["application/json"]?.schema;
  if (schema && (contentType === undefined || contentType === "application/json")) {
    const { validate, root } = compile(`${opKey} body`, schema);
    if (!validate(body)) problems.push(...describeErrors("body", validate.errors));
    problems.push(...undocumentedFields(body, root, root.definitions as Record<string, Schema>, "body"));
    if (match.route.template.startsWith("/repos/{owner}/{repo}/check-runs") && body && typeof body === "object") {
      problems.push(...checkRunRules(body as Record<string, unknown>));
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// GraphQL

let graphqlSchema: GraphQLSchema | undefined;

function githubGraphQLSchema(): GraphQLSchema {
  if (graphqlSchema) return graphqlSchema;
  // The package exports only an ESM entry that builds its schema at import time; building it here
  // from the same schema.json (what its `validate` does) keeps this synchronous and lazy, and the
  // same schema also coerces the variables.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "node_modules", "@octokit", "graphql-schema", "schema.json");
    try {
      const introspection = JSON.parse(readFileSync(file, "utf8")) as IntrospectionQuery | { data: IntrospectionQuery };
      graphqlSchema = buildClientSchema("data" in introspection ? introspection.data : introspection);
      return graphqlSchema;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || dirname(dir) === dir) throw error;
      dir = dirname(dir);
    }
  }
}

/** GitHub's documented GraphQL resource limits: https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api */
const MAX_PAGE = 100;
const MAX_NODES = 500_000;

/**
 * Every connection must say `first` or `last` (1–100), and the nodes a query can return — each
 * connection's page size times those of the connections around it — must stay within 500,000.
 * Named fragments are followed where they are spread (see `inlineFragments`).
 */
function connectionLimits(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown>): string[] {
  const typeInfo = new TypeInfo(schema);
  const problems: string[] = [];
  const multipliers = [1];
  let nodes = 0;
  const argument = (node: FieldNode, name: string): unknown => {
    const value = node.arguments?.find((a) => a.name.value === name)?.value;
    if (value?.kind === Kind.INT) return Number(value.value);
    if (value?.kind === Kind.VARIABLE) return variables[value.name.value];
    return value === undefined ? undefined : NaN;
  };
  visit(
    operation,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          const outer = multipliers.at(-1)!;
          const type = getNamedType(typeInfo.getType());
          if (!type?.name.endsWith("Connection")) {
            multipliers.push(outer);
            return;
          }
          const first = argument(node, "first");
          const last = argument(node, "last");
          const size = (first ?? last) as number | undefined | null;
          if (size === undefined || size === null) {
            problems.push(`connection ${node.name.value} needs a \`first\` or \`last\` argument`);
          } else if (!(Number.isInteger(size) && size >= 1 && size <= MAX_PAGE)) {
            problems.push(`connection ${node.name.value} asks for ${String(size)} records; GitHub allows 1 to ${MAX_PAGE}`);
          }
          const pageSize = typeof size === "number" && Number.isFinite(size) ? size : MAX_PAGE;
          nodes += outer * pageSize;
          multipliers.push(outer * pageSize);
        },
        leave() {
          multipliers.pop();
        },
      },
    }),
  );
  if (nodes > MAX_NODES) problems.push(`query can return ${nodes} nodes; GitHub allows at most ${MAX_NODES}`);
  return problems;
}

function checkGraphQL(body: unknown): string[] {
  if (!body || typeof body !== "object" || typeof (body as { query?: unknown }).query !== "string") {
    return ["body must be a JSON object with a `query` string"];
  }
  const { query, variables = {}, operationName, ...rest } = body as { query: string; variables?: Record<string, unknown>; operationName?: string };
  const problems = Object.keys(rest).map((k) => `body field ${k} is not part of a GraphQL request`);
  let document;
  try {
    document = parse(query);
  } catch (error) {
    return [...problems, `query does not parse: ${(error as GraphQLError).message}`];
  }
  const schema = githubGraphQLSchema();
  problems.push(...validateGraphQL(schema, document).map((e) => `query: ${e.message}`));
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return [...problems, `query has ${operations.length} operations and operationName ${JSON.stringify(operationName)} picks none`];
  const declared = new Set((operation.variableDefinitions ?? []).map((v) => v.variable.name.value));
  for (const name of Object.keys(variables)) {
    if (!declared.has(name)) problems.push(`variable $${name} is sent but the query does not declare it`);
  }
  // Covers "declared non-null but not provided" as well as values of the wrong type.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  problems.push(...(coerced.errors ?? []).map((e) => `variables: ${e.message}`));
  if (problems.length === 0 && coerced.coerced) problems.push(...connectionLimits(schema, inlineFragments(document, operation), coerced.coerced));
  return problems;
}

/** The operation with every `...Named` spread replaced by the fragment's fields, so limits see them. */
function inlineFragments(document: DocumentNode, operation: OperationDefinitionNode): OperationDefinitionNode {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  // visit() walks a node returned by `enter`, so fragments spread inside fragments are inlined too
  // (validation has already rejected cycles).
  return visit(operation, {
    FragmentSpread(node) {
      const fragment = fragments.get(node.name.value);
      return fragment ? { kind: Kind.INLINE_FRAGMENT, typeCondition: fragment.typeCondition, selectionSet: fragment.selectionSet } : node;
    },
  });
}

// ---------------------------------------------------------------------------------------------

/** Every way the request departs from GitHub's published API description; empty when it conforms. */
export function checkRequest(request: ApiRequest): string[] {
  const method = request.method.toUpperCase();
  const pathname = request.path.split("?", 1)[0];
  const problems = method === "POST" && pathname === "/graphql" ? checkGraphQL(request.body) : checkRest(method, request.path, request.headers, request.body);
  return problems.map((p) => `${method} ${request.path}: ${p}`);
}

/**
 * How a webhook payload departs from its schema in GitHub's REST description
 * (`components.schemas[name]`, e.g. `webhook-deployment-protection-rule-requested`), undocumented
 * fields included; empty when it conforms. For fixtures of events that have no published example.
 */
export function payloadProblems(schemaName: string, payload: unknown): string[] {
  if (!openapi().description.components.schemas[schemaName]) return [`no schema ${schemaName} in GitHub's REST API description`];
  const { validate, root } = compile(`schema ${schemaName}`, { $ref: `#/components/schemas/${schemaName}` });
  const problems = validate(payload) ? [] : describeErrors("payload", validate.errors);
  problems.push(...undocumentedFields(payload, root, root.definitions as Record<string, Schema>, "payload"));
  return problems;
}
