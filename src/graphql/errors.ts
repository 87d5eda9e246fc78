import { encodeGlobalID } from '@pothos/plugin-relay';
import { ConflictError, ForbiddenError, type LightboxError, NotFoundError, ValidationError } from '../errors.ts';
import { builder } from './builder.ts';

const UserErrorRef = builder.interfaceRef<LightboxError>('UserError').implement({
  description: 'A failure the client can act on, returned in a mutation result rather than as a GraphQL error.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.string({ description: 'NOT_FOUND, VALIDATION, FORBIDDEN or CONFLICT.', resolve: (error) => error.code }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The id names nothing the caller may see.',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    id: t.id({ description: 'The global id that was not found.', resolve: (error) => encodeGlobalID(error.what, error.id) }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'An argument is out of bounds or inconsistent.',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ field: t.exposeString('field', { description: 'The argument at fault.' }) }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: 'Only the admin may do this: send "Authorization: Bearer <token>".',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof ForbiddenError,
  fields: () => ({}),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: 'The request is valid but clashes with the current state.',
  interfaces: [UserErrorRef],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: () => ({}),
});

/** What every mutation may answer besides success. */
export const MUTATION_ERRORS = [ForbiddenError, NotFoundError, ValidationError, ConflictError];
