import { encodeGlobalID } from '@pothos/plugin-relay';
import { type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';
import { BoundedMemo } from '../bounded-memo.ts';

type RawId = bigint | number | string;

/** Per type: its ids kept (a page repeats a few hundred, a library a few thousand), and how one is encoded. */
const encodedByType = new Map<string, { ids: BoundedMemo<RawId, string>; encode: (id: RawId) => string }>();

/**
 * The relay plugin's own global id (base64 of `Type:id`), made once per object: every page
 * writes the same few hundred ids again, and encoding each costs a buffer and a copy.
 */
export function rememberedGlobalID(typename: string, id: RawId): string {
  let encoded = encodedByType.get(typename);
  if (encoded === undefined) {
    encoded = { ids: new BoundedMemo(50_000), encode: (raw) => encodeGlobalID(typename, raw) };
    encodedByType.set(typename, encoded);
  }
  return encoded.ids.get(id, encoded.encode);
}

/** What the relay plugin keeps of a node type's options: how its objects give their ids. */
interface NodeTypeOptions {
  pothosOptions?: { id?: { resolve?: GraphQLFieldResolver<unknown, unknown> } };
}

/**
 * Every node type's `id` resolved synchronously. The relay plugin resolves ids through an async
 * wrapper, a promise and its microtasks per object, and a gallery page writes a few hundred ids;
 * the value is the same (the type's own id function, encoded by rememberedGlobalID). An id
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
      return rememberedGlobalID(type.name, String(id));
    };
  }
  return schema;
}
