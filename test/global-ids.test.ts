import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { type GraphQLResolveInfo, isObjectType } from 'graphql';
import { albumGlobalId, photoGlobalId, shareLinkGlobalId, unwrapGlobalId } from '../src/cli/ids.ts';
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

  it('the command line writes and reads the same ids as the relay plugin, without loading it', () => {
    const publicIds = ['a', 'Zx9-_q', 'ÿ€漢', 'x'.repeat(40)];
    for (const publicId of publicIds) {
      assert.equal(photoGlobalId(publicId), encodeGlobalID('Photo', publicId));
      assert.equal(albumGlobalId(publicId), encodeGlobalID('Album', publicId));
      assert.equal(shareLinkGlobalId(publicId), encodeGlobalID('ShareLink', publicId));
      assert.equal(unwrapGlobalId(encodeGlobalID('Album', publicId), 'Album'), decodeGlobalID(encodeGlobalID('Album', publicId)).id);
    }
    // Anything else is a title or a bare public id, left as typed.
    for (const text of ['Lisbon 2024', '', 'QWxidW0', encodeGlobalID('Photo', 'p1'), Buffer.from('no colon').toString('base64')]) {
      assert.equal(unwrapGlobalId(text, 'Album'), text);
    }
  });
});
