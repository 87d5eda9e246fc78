import SchemaBuilder, { BasePlugin, isThenable, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { type CursorKeys, cursorKeys, openCursor, sealCursor } from '../auth/cursor-sealing.ts';
import { requestError } from './request-errors.ts';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      sealedCursors: SealedCursorsPlugin<Types>;
    }
  }
}

let derived: { secret: string; keys: CursorKeys } | undefined;

/** Keys for the secret in force; derived once, not per request. */
function keysFor(context: object): CursorKeys {
  const { secret } = (context as { signing: { secret: string } }).signing;
  if (derived?.secret !== secret) derived = { secret, keys: cursorKeys(secret) };
  return derived.keys;
}

function isCursorOutput(field: PothosOutputFieldConfig<SchemaTypes>): boolean {
  if (field.parentType === 'PageInfo') return field.name === 'startCursor' || field.name === 'endCursor';
  return field.name === 'cursor' && field.parentType.endsWith('Edge');
}

function opened(context: object, argument: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const position = openCursor(keysFor(context), value);
  if (position === undefined) {
    throw requestError(
      'INVALID_CURSOR',
      `"${argument}" is not a cursor this server handed out (cursors end when the server secret changes)`,
    );
  }
  return position;
}

/**
 * Cursors leave the server sealed and come back opened, for every connection at once: the
 * drizzle plugin writes and reads its own cursors (row ids, millisecond timestamps), and this
 * plugin stands between them and clients. Sealing happens only for cursor fields a query
 * selects; `after`/`before` are opened through an arg mapper, which both resolvers and the
 * drizzle plugin's nested query planning apply.
 */
export class SealedCursorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    if (!('after' in fieldConfig.args && 'before' in fieldConfig.args)) return fieldConfig;
    return {
      ...fieldConfig,
      argMappers: [
        ...fieldConfig.argMappers,
        (args: Record<string, unknown>, context: object) =>
          args.after == null && args.before == null
            ? args
            : { ...args, after: opened(context, 'after', args.after), before: opened(context, 'before', args.before) },
      ],
    };
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (!isCursorOutput(fieldConfig as PothosOutputFieldConfig<SchemaTypes>)) return resolver;
    const seal = (value: unknown, context: object) => (typeof value === 'string' ? sealCursor(keysFor(context), value) : value);
    return (parent, args, context, info) => {
      const value: unknown = resolver(parent, args, context, info);
      return isThenable(value) ? value.then((resolved) => seal(resolved, context)) : seal(value, context);
    };
  }
}

SchemaBuilder.registerPlugin('sealedCursors', SealedCursorsPlugin);
