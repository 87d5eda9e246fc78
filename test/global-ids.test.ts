import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { type GraphQLResolveInfo, isObjectType } from 'graphql';
import { schema } from '../src/graphql/schema.ts';

describe('node ids', () => {
  it("every node type resolves its id synchronously, to the relay encoding of the object's public id", () => {
    const nodeTypes = Object.values(schema.getTypeMap()).filter(
      (type) => isObjectType(type) && type.getInterfaces().some((implemented) => implemented.name === 'Node'),
    );
    assert.deepEqual(nodeTypes.map((type) => type.name).sort(), ['Album', 'Photo', 'ShareLink']);
    for (const type of nodeTypes) {
      if (!isObjectType(type)) continue;
      const resolve = type.getFields().id?.resolve;
      assert.ok(resolve, `${type.name}.id has a resolver`);
      const id = resolve({ publicId: `public-${type.name}`, id: 7 }, {}, {}, {} as GraphQLResolveInfo);
      // A string, not a promise: a page resolves hundreds of ids.
      assert.equal(id, encodeGlobalID(type.name, `public-${type.name}`), type.name);
    }
  });
});
