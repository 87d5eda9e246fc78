import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin, { resolveNodes } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { ForbiddenError } from '../errors.ts';
import type { GraphQLContext } from './context.ts';
import { rememberedGlobalID } from './global-ids.ts';
import './sealed-cursors.ts';

export interface PothosTypes {
  Context: GraphQLContext;
  AuthScopes: { admin: boolean };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | number };
    /** The token the upload route put in place of the file. */
    File: { Input: string; Output: never };
  };
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export const builder: PothosSchemaTypes.SchemaBuilder<PothosSchemaTypes.ExtendDefaultTypes<PothosTypes>> = new SchemaBuilder<PothosTypes>({
  // Errors first: it wraps scope-auth, so a refused field answers ForbiddenError in its result union.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, RelayPlugin, 'sealedCursors'],
  errors: { directResult: true },
  scopeAuth: {
    authScopes: (ctx) => ({ admin: ctx.viewer.kind === 'admin' }),
    unauthorizedError: () => new ForbiddenError(),
  },
  defaultFieldNullability: false,
  relay: {
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    nodesOnConnection: true,
    clientMutationId: 'omit',
    cursorType: 'String',
    encodeGlobalID: rememberedGlobalID,
    // A global id is not a permission: node lookups see only what the viewer's lists show.
    nodeQueryOptions: {
      resolve: async (_root, { id }, ctx, _info, resolveNode) =>
        (await ctx.loaders.visibleNodes.load(`${id.typename}:${id.id}`)) ? resolveNode(id) : null,
    },
    nodesQueryOptions: {
      // Only ids that exist and are visible are loaded (the plugin's own loader fails on any id it cannot find).
      resolve: async (_root, { ids }, ctx, info) => {
        const visible = await ctx.loaders.visibleNodes.loadMany(ids.map((id) => `${id.typename}:${id.id}`));
        return resolveNodes(
          builder,
          ctx,
          info,
          ids.map((id, index) => (visible[index] === true ? id : null)),
        );
      },
    },
  },
});
