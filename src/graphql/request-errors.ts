import { type ASTNode, GraphQLError } from 'graphql';
import { createGraphQLError, type MaskError, maskError, type Plugin } from 'graphql-yoga';
import { type ClientErrorCode, ERRORS, LightboxError } from '../errors.ts';

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

const INVALID_GLOBAL_ID = /^Invalid global ID: (.*)$|^ID: (.*) is not of type: (.*)$/s;

/**
 * The relay plugin's refusals of an id, which carry no code: the same, coded and saying which
 * form is expected. Also for documents run in-process (the gallery's pages), which no Yoga plugin sees.
 */
export function codedIdError(error: GraphQLError): GraphQLError | undefined {
  if (error.extensions?.code !== undefined) return undefined;
  const match = INVALID_GLOBAL_ID.exec(error.message);
  if (match === null) return undefined;
  const given = match[1] ?? match[2] ?? '';
  const message =
    match[3] === undefined
      ? `"${given}" is not a global id: pass an id as GraphQL returns it (such as \`id\` of a Photo, or what \`lightbox import\` prints), not the public id in an image URL`
      : `"${given}" is the id of another type; expected a ${match[3]} id`;
  return requestError('INVALID_ID', message, { nodes: error.nodes ?? undefined });
}

/** Gives the relay plugin's id refusals their code (INVALID_ID) in every response. */
export function idErrorsPlugin(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !('errors' in result) || !result.errors?.length) return;
      const coded = result.errors.map((error) => codedIdError(error) ?? error);
      if (coded.some((error, index) => error !== result.errors?.[index])) setResult({ ...result, errors: coded });
    },
  };
}

/**
 * Yoga hides what a resolver throws ("Unexpected error."), which is right for bugs. Our own
 * coded errors are meant for the client: a field that refuses (a query field only the admin
 * may read, say) answers with its code and message, as a mutation's union would.
 */
export const maskUnexpectedErrors: MaskError = (error, message, isDev) => {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof LightboxError && ERRORS[original.code].audience === 'client' && error instanceof GraphQLError) {
    return createGraphQLError(original.message, { nodes: error.nodes, path: error.path, extensions: { code: original.code } });
  }
  return maskError(error, message, isDev);
};
