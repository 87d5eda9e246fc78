import SchemaBuilder from '@pothos/core';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import { relations } from '../db/relations.ts';
import { type GraphQLContext, isAdmin } from './context.ts';

export interface PothosTypes {
  Context: GraphQLContext;
  DrizzleRelations: typeof relations;
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

export const builder = new SchemaBuilder<PothosTypes>({
  plugins: [ErrorsPlugin, RelayPlugin, DrizzlePlugin],
  errors: { directResult: true },
  defaultFieldNullability: false,
  relay: {
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    nodesOnConnection: true,
    clientMutationId: 'omit',
    cursorType: 'String',
    // A global id is not a permission: anonymous node lookups see only what the lists show.
    nodeQueryOptions: {
      resolve: async (_root, { id }, ctx, _info, resolveNode) => {
        if (isAdmin(ctx) || (await ctx.loaders.anonymousVisibility.load(`${id.typename}:${id.id}`))) return resolveNode(id);
        return null;
      },
    },
    nodesQueryOptions: {
      // The relay plugin's resolveNodes always loads every requested id, in order; hide the rest.
      resolve: async (_root, { ids }, ctx, _info, resolveNodes) => {
        const nodes = await resolveNodes(ids);
        if (isAdmin(ctx)) return nodes;
        const visible = await ctx.loaders.anonymousVisibility.loadMany(ids.map((id) => `${id.typename}:${id.id}`));
        return nodes.map((node, index) => (visible[index] === true ? node : null));
      },
    },
  },
  drizzle: {
    client: (ctx) => ctx.db,
    getTableConfig,
    relations,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
  },
});
