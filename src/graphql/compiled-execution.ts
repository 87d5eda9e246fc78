import type { Plugin } from 'graphql-yoga';
import { meterAsync } from '../sql-meter.ts';
import type { GraphQLContext } from './context.ts';
import type { DocumentMemory } from './document-memory.ts';

/**
 * Queries run as JavaScript compiled once per document (graphql-jit) instead of being
 * interpreted field by field on every request: a gallery page resolves thousands of fields,
 * and graphql-js spends more on walking them than the resolvers and SQL together.
 * Documents that are not compiled (see DocumentMemory) run through graphql-js, which also
 * reports the errors of what graphql-jit cannot compile.
 */
export function compiledExecutionPlugin(documents: DocumentMemory): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      // Validated and within the limits by now.
      documents.accept(args.document);
      const query = documents.compiledQueryFor(args.document, args.operationName);
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
