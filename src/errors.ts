/**
 * The failures a client can act on, in one place. Each has a stable code; the GraphQL layer
 * returns them as typed members of a mutation's result union, never as a stack trace.
 */
export type ErrorCode = 'NOT_FOUND' | 'VALIDATION' | 'FORBIDDEN' | 'CONFLICT';

export abstract class LightboxError extends Error {
  abstract readonly code: ErrorCode;
}

/** The thing named does not exist, or the caller may not see it: the two are not told apart. */
export class NotFoundError extends LightboxError {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`${what} not found`);
  }
}

/** An argument is out of bounds or inconsistent; `field` names the argument. */
export class ValidationError extends LightboxError {
  readonly code = 'VALIDATION';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Only the admin may do this. */
export class ForbiddenError extends LightboxError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'This needs the admin token: send "Authorization: Bearer <token>"') {
    super(message);
  }
}

/** The request is valid but clashes with the current state. */
export class ConflictError extends LightboxError {
  readonly code = 'CONFLICT';
}

/** The first line of an error's message, bounded: what a failure reason or a log line should carry. */
export function errorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? message).slice(0, 500);
}
