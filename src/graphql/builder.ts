import SchemaBuilder from '@pothos/core';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import { relations } from '../db/relations.ts';
import { type GraphQLContext, isAdmin } from './context.ts';
import { visiblePublicIds } from './visibility.ts';

export interface PothosTypes {
  Context: GraphQLContext;
  DrizzleRelations: typeof relations;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | number };
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
      resolve: (_root, { id }, ctx, _info, resolveNode) => {
        if (isAdmin(ctx) || visiblePublicIds(ctx.db, id.typename, [id.id]).has(id.id)) return resolveNode(id);
        return null;
      },
    },
    nodesQueryOptions: {
      // The relay plugin's resolveNodes always loads every requested id, in order; hide the rest.
      resolve: async (_root, { ids }, ctx, _info, resolveNodes) => {
        const nodes = await resolveNodes(ids);
        if (isAdmin(ctx)) return nodes;
        const visible = new Set<string>();
        for (const typename of new Set(ids.map((id) => id.typename))) {
          const ofType = ids.filter((id) => id.typename === typename).map((id) => id.id);
          for (const publicId of visiblePublicIds(ctx.db, typename, ofType)) visible.add(`${typename}:${publicId}`);
        }
        return nodes.map((node, index) => (visible.has(`${ids[index]?.typename}:${ids[index]?.id}`) ? node : null));
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
