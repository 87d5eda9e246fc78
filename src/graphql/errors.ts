import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  ConflictError,
  ERRORS,
  ForbiddenError,
  type LightboxError,
  NotFoundError,
  ValidationError,
} from '../errors.ts';
import { builder } from './builder.ts';

/** The registry in errors.ts, as clients see it: what `UserError.code`, `RejectedUpload.code` and `extensions.code` can be. */
export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: "Every code a client can receive, in a mutation result or in a GraphQL error's extensions.",
  values: Object.fromEntries(CLIENT_ERROR_CODES.map((code) => [code, { value: code, description: ERRORS[code].description }])) as Record<
    ClientErrorCode,
    { value: ClientErrorCode; description: string }
  >,
});

export const UserErrorRef = builder.interfaceRef<LightboxError>('UserError').implement({
  description: 'A failure the client can act on, returned in a mutation result rather than as a GraphQL error.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.field({ type: ErrorCodeEnum, resolve: (error) => error.code as ClientErrorCode }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: ERRORS.NOT_FOUND.description,
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    // Not `id`: Relay normalises records by `id` alone, and would turn the missing node's cached record into this error.
    missingId: t.id({ description: 'The global id that was not found.', resolve: (error) => encodeGlobalID(error.what, error.id) }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: ERRORS.VALIDATION.description,
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ field: t.exposeString('field', { description: 'The argument at fault.' }) }),
});

/** A UserError type with nothing beyond `message` and `code`, described by its code's entry in errors.ts. */
export function plainUserErrorType(errorClass: typeof LightboxError, name: string, code: ClientErrorCode): void {
  builder.objectType(errorClass, {
    name,
    description: ERRORS[code].description,
    interfaces: [UserErrorRef],
    isTypeOf: (value) => value instanceof errorClass,
    fields: () => ({}),
  });
}

plainUserErrorType(ForbiddenError, 'ForbiddenError', 'FORBIDDEN');
plainUserErrorType(ConflictError, 'ConflictError', 'CONFLICT');

/** What every mutation may answer besides success. */
export const MUTATION_ERRORS = [ForbiddenError, NotFoundError, ValidationError, ConflictError];

/** The errors option of a mutation: its result union, `<Mutation>Result`, of the payload and MUTATION_ERRORS. */
export const mutationErrors = (mutation: string) => ({ types: MUTATION_ERRORS, union: { name: `${mutation}Result` } });
