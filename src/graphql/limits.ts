import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_PAGE_SIZE } from './builder.ts';
import { bracketNesting } from './nesting.ts';
import { pageSizeErrors } from './page-size.ts';
import { requestError } from './request-errors.ts';

/**
 * Limits sized for a gallery: the deepest sensible query (albums → photos → albums → cover →
 * image) is 8 levels; a full gallery page (20 albums, cover, 12 photos each with thumb,
 * placeholder and srcSet) costs about 11,900 under graphql-armor's model with a depth factor
 * of 1.2, GraphiQL's opening query about 1,400. Page sizes are capped separately.
 */
export const QUERY_LIMITS = { depth: 10, aliases: 30, tokens: 4000, cost: 20_000, depthCostFactor: 1.2, nesting: 40 } as const;

export interface LimitOptions {
  introspection: boolean;
  /** Hide "Did you mean …?" hints from callers who are not the admin. */
  hideSuggestions: (request: Request) => boolean;
}

const SUGGESTION = /\s*Did you mean .+\?$/;

function withoutSuggestion(error: GraphQLError): GraphQLError {
  if (!SUGGESTION.test(error.message)) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

export function limitPlugins(options: LimitOptions): Plugin[] {
  const plugins: Plugin[] = [
    {
      // Before parsing: graphql-js parses recursively, and a few thousand levels overflow its stack.
      onParams({ params, setResult }) {
        if (typeof params.query !== 'string') return;
        const nesting = bracketNesting(params.query, QUERY_LIMITS.nesting);
        if (nesting <= QUERY_LIMITS.nesting) return;
        setResult({
          errors: [
            requestError('QUERY_TOO_NESTED', `The document nests brackets more than ${QUERY_LIMITS.nesting} deep`, {
              withStatus: true,
              extensions: { max: QUERY_LIMITS.nesting },
            }),
          ],
        });
      },
    },
    maxDepthPlugin({ n: QUERY_LIMITS.depth, ignoreIntrospection: true, flattenFragments: true }),
    maxAliasesPlugin({ n: QUERY_LIMITS.aliases }),
    maxTokensPlugin({ n: QUERY_LIMITS.tokens }),
    costLimitPlugin({ maxCost: QUERY_LIMITS.cost, depthCostFactor: QUERY_LIMITS.depthCostFactor, ignoreIntrospection: true }),
    {
      onExecute({ args, setResultAndStopExecution }) {
        const errors = pageSizeErrors(args.schema, args.document, args.variableValues ?? undefined, MAX_PAGE_SIZE);
        if (errors.length > 0) setResultAndStopExecution({ errors });
      },
    },
    {
      // After validation, not inside it: Yoga caches validation results across callers.
      onResultProcess({ request, result, setResult }) {
        if (Array.isArray(result) || !('errors' in result) || !result.errors?.length || !options.hideSuggestions(request)) return;
        setResult({ ...result, errors: result.errors.map(withoutSuggestion) });
      },
    },
  ];
  if (!options.introspection) {
    plugins.push({
      onValidate({ addValidationRule }) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
      },
    });
  }
  return plugins;
}
