import { type DocumentNode, type GraphQLSchema, getOperationAST } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { meterAsync } from '../db/sql-meter.ts';
import type { GraphQLContext } from './context.ts';

/** Compiled queries kept per document: documents come from Yoga's parse cache, so each is one object. */
const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

/** The document's query operation of that name, compiled once; null for mutations and for what graphql-jit cannot compile. */
export function compiledQueryFor(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): CompiledQuery | null {
  const name = operationName ?? '';
  let byOperation = compiled.get(document);
  if (byOperation === undefined) {
    byOperation = new Map();
    compiled.set(document, byOperation);
  }
  let query = byOperation.get(name);
  if (query === undefined) {
    const operation = getOperationAST(document, operationName);
    // Not kept: a name the document lacks is the caller's to invent, as many as it likes.
    if (operation == null) return null;
    // Mutations keep graphql-js: they are few, and their order of side effects is graphql-js's to define.
    const result = operation.operation === 'query' ? compileQuery(schema, document, operationName ?? undefined) : null;
    query = result !== null && isCompiledQuery(result) ? result : null;
    byOperation.set(name, query);
  }
  return query;
}

/**
 * Queries run as JavaScript compiled once per document (graphql-jit) instead of being
 * interpreted field by field on every request: a gallery page resolves thousands of fields,
 * and graphql-js spends more on walking them than the resolvers and SQL together.
 * Documents it cannot compile run through graphql-js, which reports their errors as usual.
 */
export function compiledExecutionPlugin(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const query = compiledQueryFor(args.schema, args.document, args.operationName);
      if (query === null) {
        // Mutations are metered however deep their statements go; queries through their reads (see meterSync).
        const { sqlUsage } = args.contextValue as Partial<GraphQLContext>;
        setExecuteFn((execution) => meterAsync(sqlUsage, () => executeFn(execution)));
        return;
      }
      setExecuteFn((execution) => query.query(execution.rootValue, execution.contextValue, execution.variableValues ?? {}));
    },
  };
}
