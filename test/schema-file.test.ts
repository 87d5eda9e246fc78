import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { printSchema } from 'graphql';
import { schema } from '../src/graphql/schema.ts';

it('schema.graphql is the schema the Pothos code builds (run `npm run schema` after changing it)', async () => {
  const committed = await readFile(new URL('../schema.graphql', import.meta.url), 'utf8');
  assert.equal(committed, `${printSchema(schema)}\n`);
});
