import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.ts';

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string') throw new GraphQLError('DateTime must be an ISO 8601 string');
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    throw new GraphQLError(`DateTime must be an ISO 8601 date-time with a zone, got "${value}"`);
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An instant in time, as an ISO 8601 string in UTC (e.g. 2026-11-26T15:47:04.123Z).',
  serialize: (value) => new Date(value as number | string | Date).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO 8601 string');
    return parseDateTime(ast.value);
  },
});

builder.scalarType('File', {
  description: 'A file of a GraphQL multipart request (multipart/form-data with operations and map fields).',
  serialize: () => {
    throw new GraphQLError('File is an input type only');
  },
  parseValue: (value) => {
    if (typeof value !== 'string' || !value.startsWith('upload:')) {
      throw new GraphQLError('File variables must be sent as multipart uploads (GraphQL multipart request spec)');
    }
    return value;
  },
  parseLiteral: () => {
    throw new GraphQLError('File variables must be sent as multipart uploads (GraphQL multipart request spec)');
  },
});
