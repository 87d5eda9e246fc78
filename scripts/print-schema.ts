// Writes schema.graphql from the Pothos code; test/schema-file.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../src/graphql/schema.ts';

const target = new URL('../schema.graphql', import.meta.url);
writeFileSync(target, `${printSchema(schema)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
