import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ClientErrorCode } from '../errors.ts';
import { MAX_PAGE_SIZE } from './builder.ts';
import type { DocumentMemory } from './document-memory.ts';
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
  /** Where each document's page-size arguments are kept. */
  documents: Pick<DocumentMemory, 'pageArguments'>;
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

/** graphql-armor's rejections, by the start of their message: which code each is, and how to say it. */
const ARMOR_REJECTIONS: { pattern: RegExp; code: ClientErrorCode; say: (max: number, found: number | undefined) => string }[] = [
  {
    pattern: /Query Cost limit of (\d+(?:\.\d+)?) exceeded, found (\d+(?:\.\d+)?)/,
    code: 'QUERY_TOO_COSTLY',
    say: (max, found) =>
      `The query's estimated cost is ${formatCount(found)}, over the limit of ${formatCount(max)}: ask for fewer items (first/last) or fields per request`,
  },
  {
    pattern: /Query depth limit of (\d+) exceeded, found (\d+)/,
    code: 'QUERY_TOO_DEEP',
    say: (max, found) => `The query's depth is ${formatCount(found)} (fields nested in fields); at most ${formatCount(max)} is allowed`,
  },
  {
    pattern: /Aliases limit of (\d+) exceeded, found (\d+)/,
    code: 'TOO_MANY_ALIASES',
    say: (max, found) => `The query uses ${formatCount(found)} aliases; at most ${formatCount(max)} are allowed`,
  },
  {
    pattern: /Token limit of (\d+) exceeded/,
    code: 'TOO_MANY_TOKENS',
    say: (max) => `The document has more than ${formatCount(max)} tokens; send a shorter one`,
  },
];

function formatCount(value: number | undefined): string {
  return value === undefined ? 'unknown' : Math.round(value).toLocaleString('en-US');
}

function isArmorRejection(error: GraphQLError): boolean {
  // The token limit trips inside parsing, so Yoga has already called it a parse failure.
  const code = error.extensions?.code;
  return (
    (code === undefined || code === 'GRAPHQL_PARSE_FAILED') && ARMOR_REJECTIONS.some((rejection) => rejection.pattern.test(error.message))
  );
}

/** The same rejection with a code from errors.ts, the numbers rounded and readable, and them in extensions. */
function codedRejection(error: GraphQLError): GraphQLError {
  for (const rejection of ARMOR_REJECTIONS) {
    const match = rejection.pattern.exec(error.message);
    if (match === null) continue;
    const max = Number(match[1]);
    const found = match[2] === undefined ? undefined : Math.round(Number(match[2]));
    const { code: _replaced, ...kept } = error.extensions ?? {};
    return requestError(rejection.code, rejection.say(max, found), {
      nodes: error.nodes,
      extensions: { ...kept, max, ...(found === undefined ? {} : { found }) },
    });
  }
  return error;
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
        const found = options.documents.pageArguments(args.document);
        const errors = pageSizeErrors(args.schema, args.document, found, args.operationName, args.variableValues, MAX_PAGE_SIZE);
        if (errors.length > 0) setResultAndStopExecution({ errors });
      },
    },
    {
      onResultProcess({ result, setResult }) {
        if (Array.isArray(result) || !('errors' in result) || !result.errors?.some(isArmorRejection)) return;
        setResult({ ...result, errors: result.errors.map((error) => (isArmorRejection(error) ? codedRejection(error) : error)) });
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
