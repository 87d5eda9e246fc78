import {
  type ArgumentNode,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  getNamedType,
  TypeInfo,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { requestError } from './request-errors.ts';

interface PageArgument {
  node: ArgumentNode;
  field: string;
}

/** Each document's `first`/`last` arguments of connection fields, found once (documents come from Yoga's parse cache). */
const pageArguments = new WeakMap<DocumentNode, PageArgument[]>();

function pageArgumentsOf(schema: GraphQLSchema, document: DocumentNode): PageArgument[] {
  let found = pageArguments.get(document);
  if (found !== undefined) return found;
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
  found = collected;
  pageArguments.set(document, found);
  return found;
}

/**
 * `first`/`last` arguments of connection fields outside 0..max, with the variables applied.
 * Over the cap is an error, not a silent clamp: a client asking for 500 should learn it got 100.
 */
export function pageSizeErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  max: number,
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  for (const { node, field } of pageArgumentsOf(schema, document)) {
    const value = valueFromASTUntyped(node.value, variables ?? {});
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
