import type { ASTNode, GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { type ClientErrorCode, ERRORS } from '../errors.ts';

export interface RequestErrorOptions {
  /** Answer with the code's HTTP status rather than 200 (for failures before execution). */
  withStatus?: boolean;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
  /** Where in the document the error is (gives it `locations`). */
  nodes?: readonly ASTNode[];
}

/** A GraphQL error whose `extensions.code` comes from the registry in errors.ts. */
export function requestError(code: ClientErrorCode, message: string, options: RequestErrorOptions = {}): GraphQLError {
  const http = options.withStatus ? { http: { status: ERRORS[code].status, headers: options.headers } } : {};
  return createGraphQLError(message, { nodes: options.nodes, extensions: { code, ...options.extensions, ...http } });
}
