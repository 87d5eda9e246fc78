import { encodeGlobalID } from '@pothos/plugin-relay';
import { type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';

/** What the relay plugin keeps of a node type's options: how its objects give their ids. */
interface NodeTypeOptions {
  pothosOptions?: { id?: { resolve?: GraphQLFieldResolver<unknown, unknown> } };
}

/**
 * Every node type's `id` resolved synchronously. The relay plugin resolves ids through an async
 * wrapper, a promise and its microtasks per object, and a gallery page writes a few hundred ids;
 * the value is the same (the type's own id function, encoded as the plugin encodes it). An id
 * function that returns a promise still goes through the plugin's resolver.
 */
export function withSynchronousNodeIds(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !type.getInterfaces().some((implemented) => implemented.name === 'Node')) continue;
    const idOf = (type.extensions as NodeTypeOptions).pothosOptions?.id?.resolve;
    const field = type.getFields().id;
    if (idOf === undefined || field?.resolve === undefined) throw new Error(`node type ${type.name} has no id to resolve`);
    const viaPlugin = field.resolve;
    field.resolve = (parent, args, context, info) => {
      const id = idOf(parent, args, context, info);
      if (id === null || id === undefined || typeof id === 'object') return viaPlugin(parent, args, context, info);
      return encodeGlobalID(type.name, String(id));
    };
  }
  return schema;
}
