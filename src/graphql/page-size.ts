import {
  type ArgumentNode,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  getVariableValues,
  TypeInfo,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { requestError } from './request-errors.ts';

export interface PageArgument {
  node: ArgumentNode;
  field: string;
}

/** A document's `first`/`last` arguments of connection fields (DocumentMemory keeps them with the document: a walk with type info per request was a tenth of a page). */
export function pageArgumentsOf(schema: GraphQLSchema, document: DocumentNode): PageArgument[] {
  const typeInfo = new TypeInfo(schema);
  const collected: PageArgument[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (node.name.value !== 'first' && node.name.value !== 'last') return;
        const field = typeInfo.getFieldDef();
        if (field === null || field === undefined || !getNamedType(field.type).name.endsWith('Connection')) return;
        collected.push({ node, field: field.name });
      },
    }),
  );
  return collected;
}

/**
 * `first`/`last` arguments of connection fields outside 0..max, with the operation's variables
 * applied as execution will see them (coerced, defaults included: `$n: Int = 500` is 500).
 * Over the cap is an error, not a silent clamp: a client asking for 500 should learn it got 100.
 * Variables that cannot be coerced are left to execution, which reports them.
 */
export function pageSizeErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  found: readonly PageArgument[],
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  max: number,
): GraphQLError[] {
  if (found.length === 0) return [];
  const definitions = getOperationAST(document, operationName)?.variableDefinitions ?? [];
  const coerced = definitions.length === 0 ? {} : getVariableValues(schema, definitions, variables ?? {}).coerced;
  if (coerced === undefined) return [];
  const errors: GraphQLError[] = [];
  for (const { node, field } of found) {
    const value = valueFromASTUntyped(node.value, coerced);
    if (typeof value === 'number' && (value < 0 || value > max)) {
      errors.push(
        requestError(
          'PAGE_SIZE_LIMIT',
          `${field}(${node.name.value}: ${value}): a page holds from 0 to ${max} items; page through larger sets with cursors`,
          { nodes: [node], extensions: { max } },
        ),
      );
    }
  }
  return errors;
}
