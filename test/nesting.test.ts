import assert from 'node:assert/strict';
import { it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { QUERY_LIMITS } from '../src/graphql/limits.ts';
import { bracketNesting } from '../src/graphql/nesting.ts';

it('bracket nesting counts structure, not strings or comments, and stops at the limit', () => {
  const cases: [string, number][] = [
    ['{ a }', 1],
    ['{ a(x: [1, [2]]) { b } }', 4],
    ['{ a(x: "{{{[[[") }', 2],
    ['{ a(x: """ {{{ \\""" [[[ """) }', 2],
    ['# {{{{\n{ a }', 1],
    ['{ a(x: "\\"{{") }', 2],
  ];
  for (const [text, expected] of cases) assert.equal(bracketNesting(text, 100), expected, text);
  assert.equal(bracketNesting('['.repeat(1_000_000), 40), 41, 'stops as soon as it passes the limit');
  assert.ok(bracketNesting(getIntrospectionQuery(), QUERY_LIMITS.nesting) <= QUERY_LIMITS.nesting, 'GraphiQL can still introspect');
});
