import { type DocumentNode, getOperationAST } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { meterAsync } from '../db/sql-meter.ts';
import type { GraphQLContext } from './context.ts';

/** Compiled queries kept per document: documents come from Yoga's parse cache, so each is one object. */
const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

function compiledFor(args: Parameters<NonNullable<Plugin['onExecute']>>[0]['args']): CompiledQuery | null {
  const operationName = args.operationName ?? '';
  let byOperation = compiled.get(args.document);
  if (byOperation === undefined) {
    byOperation = new Map();
    compiled.set(args.document, byOperation);
  }
  let query = byOperation.get(operationName);
  if (query === undefined) {
    // Mutations keep graphql-js: they are few, and their order of side effects is graphql-js's to define.
    const operation = getOperationAST(args.document, args.operationName);
    const result = operation?.operation === 'query' ? compileQuery(args.schema, args.document, args.operationName ?? undefined) : null;
    query = result !== null && isCompiledQuery(result) ? result : null;
    byOperation.set(operationName, query);
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
      const query = compiledFor(args);
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
