import { type ExecutionResult, type GraphQLError, type GraphQLSchema, getOperationAST, getVariableValues } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import { MAX_PAGE_SIZE } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import type { DocumentMemory } from './document-memory.ts';
import { pageSizeErrors } from './page-size.ts';
import type { PersistedQueries } from './persisted-queries.ts';
import { codedIdError, maskUnexpectedErrors } from './request-errors.ts';
import { extensionsAsk, onlyKnownParameters, type RequestParams } from './request-params.ts';

/** A query whose document Yoga parsed, validated and limit-checked before, ready to run compiled. */
export interface CompiledPlan {
  operationName: string | undefined;
  variables: Record<string, unknown>;
  compiled: CompiledQuery;
}

export interface CompiledPlanDeps {
  schema: GraphQLSchema;
  documents: DocumentMemory;
  persistedQueries: PersistedQueries;
}

/**
 * The request as a query to run compiled, outside Yoga's fetch-API pipeline (which costs a
 * gallery page about a fifth of its CPU in Request and Response objects, header maps and plugin
 * hooks with nothing to do); undefined leaves it to Yoga. Taken only where Yoga would answer the
 * same: plain parameters (no persisted query), a document Yoga itself accepted before
 * (validation depends on its text alone), and the checks that depend on the request made by the
 * functions Yoga's plugins use: trusted documents for this caller, page sizes with the variables
 * applied.
 */
export function compiledPlan(deps: CompiledPlanDeps, params: RequestParams, authorization: string | null): CompiledPlan | undefined {
  if (extensionsAsk(params.extensions) !== 'nothing' || !onlyKnownParameters(params)) return undefined;
  const { query, operationName, variables } = params;
  if (typeof query !== 'string' || (operationName != null && typeof operationName !== 'string')) return undefined;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
  const document = deps.documents.acceptedDocument(query);
  if (document === undefined) return undefined;
  const compiled = deps.documents.compiledQueryFor(document, operationName);
  if (compiled === null || !deps.persistedQueries.mayRunText(query, authorization)) return undefined;
  const sent = (variables ?? {}) as Record<string, unknown>;
  // Variables that do not fit their types are a request error, whose answer (and status) is Yoga's.
  const definitions = getOperationAST(document, operationName)?.variableDefinitions ?? [];
  if (definitions.length > 0 && getVariableValues(deps.schema, definitions, sent).errors !== undefined) return undefined;
  if (pageSizeErrors(deps.schema, document, deps.documents.pageArguments(document), operationName, sent, MAX_PAGE_SIZE).length > 0)
    return undefined;
  return { operationName: operationName ?? undefined, variables: sent, compiled };
}

/** Runs the plan; what a resolver throws is in the result's errors, as graphql-js reports it. */
export function runCompiled(plan: CompiledPlan, context: GraphQLContext): ExecutionResult | Promise<ExecutionResult> {
  return plan.compiled.query(undefined, context, plan.variables);
}

/** An error as Yoga reports it: unexpected failures masked, the relay plugin's id refusals coded (see request-errors.ts). */
function reported(error: GraphQLError, unexpected: GraphQLError[]): GraphQLError {
  // As Yoga calls it (its isDev is unset): the message of what failed is for the log, not the client.
  const masked = maskUnexpectedErrors(error, 'Unexpected error.', false) as GraphQLError;
  if (masked !== error) unexpected.push(error);
  return codedIdError(masked) ?? masked;
}

/**
 * The result's JSON as Yoga writes it: errors reported, internal extensions (`http`) left out,
 * keys in the result's order; with the errors masked as unexpected, which Yoga would log.
 */
export function resultJson(result: ExecutionResult): { json: string; unexpected: GraphQLError[] } {
  const unexpected: GraphQLError[] = [];
  let written: ExecutionResult = result.errors?.length
    ? { ...result, errors: result.errors.map((error) => reported(error, unexpected)) }
    : result;
  if (written.extensions?.http !== undefined) {
    const { http: _http, ...extensions } = written.extensions;
    written = { ...written, extensions: Object.keys(extensions).length > 0 ? extensions : undefined };
  }
  return { json: JSON.stringify(written), unexpected };
}
