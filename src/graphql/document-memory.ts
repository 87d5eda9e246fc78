import { setFlagsFromString } from 'node:v8';
import type {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLSchema,
  OperationDefinitionNode,
  OperationTypeNode,
  SelectionSetNode,
} from 'graphql';
import { getOperationAST, Kind } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { type PageArgument, pageArgumentsOf } from './page-size.ts';

// graphql-jit compiles each document with `new Function`, and V8's compilation cache keeps the
// source of every function so made (about 190 KB for a six-alias query here), freed only by a
// memory-pressure collection: measured, 1,500 distinct documents held 280 MB after any number of
// ordinary collections while the memory below kept 185 of them. Nothing in Lightbox compiles the
// same source twice, so the cache only ever held garbage.
setFlagsFromString('--no-compilation-cache');

/** Documents kept at most, whatever their size: every screen of any client. */
const MAX_DOCUMENTS = 1000;
/** What the kept documents may take in all, by the estimate below. */
export const MAX_DOCUMENT_MEMORY_BYTES = 48 * 1024 * 1024;
/**
 * What a parsed document takes per character of its text, and a compiled query per field it
 * selects (fragments expanded): measured here on this schema (graphql-js keeps every token of a
 * document; graphql-jit makes a closure and a resolve-info thunk per field), rounded up.
 */
const PARSED_BYTES_PER_CHAR = 80;
const COMPILED_BYTES_PER_FIELD = 4 * 1024;
/**
 * graphql-jit takes about half a millisecond per selected field to compile (measured here), on
 * the event loop, once per document: past this many fields (several times what a gallery page
 * selects, 22-38) a document runs interpreted, so no one document a stranger makes up stalls
 * the server for long (about 70 ms at most).
 */
export const MAX_COMPILED_FIELDS = 150;
/** Texts that failed to parse, kept so a client repeating one is refused without parsing it again. */
const MAX_FAILURES = 100;
const MAX_FAILURE_CHARS = 1024 * 1024;

/** One document text and what was made of it. */
interface KeptDocument {
  readonly text: string;
  readonly document: DocumentNode;
  /** Passed Yoga's validation and limits: the direct path may run it. */
  accepted: boolean;
  /** By operation name (`''` for the only one); null where graphql-jit is not used. */
  readonly compiled: Map<string, CompiledQuery | null>;
  /** Its page-size arguments, found on first use: nodes of the parsed document, so within its estimate. */
  pageArguments?: readonly PageArgument[];
  bytes: number;
}

/** Fields an operation selects with its fragments spread in place: what graphql-jit generates code for. */
export function expandedFieldCount(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const counted = new Map<string, number>();
  // Validation has refused fragment cycles by the time this runs; the guard keeps a bad input finite anyway.
  const countSet = (set: SelectionSetNode, depth: number): number => {
    if (depth > 64) return Number.POSITIVE_INFINITY;
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += 1 + (selection.selectionSet ? countSet(selection.selectionSet, depth + 1) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += countSet(selection.selectionSet, depth + 1);
      else {
        const name = selection.name.value;
        let fields = counted.get(name);
        if (fields === undefined) {
          const fragment = fragments.get(name);
          fields = fragment === undefined ? 0 : countSet(fragment.selectionSet, depth + 1);
          counted.set(name, fields);
        }
        total += fields;
      }
    }
    return total;
  };
  return countSet(operation.selectionSet, 0);
}

/**
 * The one memory of GraphQL documents: Yoga's parse cache (by exact text), what graphql-jit
 * compiled from each, and which ones Yoga accepted (the direct path's documents). Bounded by
 * bytes, estimated from each text's length and the fields compiled, as well as by count: a
 * stranger's distinct documents push out each other and the least used, never grow the heap.
 */
export class DocumentMemory {
  private readonly kept = new LRUCache<string, KeptDocument>({
    max: MAX_DOCUMENTS,
    maxSize: MAX_DOCUMENT_MEMORY_BYTES,
    sizeCalculation: (entry) => entry.bytes,
  });
  private readonly byDocument = new WeakMap<DocumentNode, KeptDocument>();
  private readonly failures = new LRUCache<string, object>({
    max: MAX_FAILURES,
    maxSize: MAX_FAILURE_CHARS,
    sizeCalculation: (_error, text) => text.length + 1,
  });

  constructor(private readonly schema: GraphQLSchema) {}

  /** What Yoga's `parserAndValidationCache` takes: its parse cache and parse-failure cache are these. */
  yogaCaches() {
    return {
      documentCache: {
        get: (text: string): DocumentNode | undefined => this.kept.get(text)?.document,
        set: (text: string, document: DocumentNode): void => {
          const entry: KeptDocument = {
            text,
            document,
            accepted: false,
            compiled: new Map(),
            bytes: text.length * PARSED_BYTES_PER_CHAR,
          };
          this.kept.set(text, entry);
          this.byDocument.set(document, entry);
        },
      },
      errorCache: {
        get: (text: string): unknown => this.failures.get(text),
        set: (text: string, error: unknown): void => {
          if (typeof error === 'object' && error !== null) this.failures.set(text, error);
        },
      },
    };
  }

  /** How many documents are kept, and what they take by the estimate. */
  size(): { documents: number; bytes: number } {
    return { documents: this.kept.size, bytes: this.kept.calculatedSize };
  }

  /**
   * The document's query operation of that name, compiled; null for mutations, for documents
   * not kept, for those over MAX_COMPILED_FIELDS, and for what graphql-jit cannot compile:
   * those run through graphql-js.
   */
  compiledQueryFor(document: DocumentNode, operationName: string | null | undefined): CompiledQuery | null {
    const entry = this.byDocument.get(document);
    if (entry === undefined) return null;
    const name = operationName ?? '';
    const known = entry.compiled.get(name);
    if (known !== undefined) return known;
    const operation = getOperationAST(document, operationName);
    // Not kept: a name the document lacks is the caller's to invent, as many as it likes.
    if (operation == null) return null;
    const fields = operation.operation === 'query' ? expandedFieldCount(document, operation) : Number.POSITIVE_INFINITY;
    let query: CompiledQuery | null = null;
    if (fields <= MAX_COMPILED_FIELDS) {
      const result = compileQuery(this.schema, document, operationName ?? undefined);
      query = isCompiledQuery(result) ? result : null;
    }
    entry.compiled.set(name, query);
    if (query !== null) {
      entry.bytes += fields * COMPILED_BYTES_PER_FIELD;
      // Set anew (lru-cache recounts no size when a key is set to the value it holds), if it is still kept at all.
      if (this.kept.peek(entry.text) === entry) {
        this.kept.delete(entry.text);
        this.kept.set(entry.text, entry);
      }
    }
    return query;
  }

  /** Yoga validated the document and is about to execute it: from now on the direct path may run it. */
  accept(document: DocumentNode): void {
    const entry = this.byDocument.get(document);
    if (entry !== undefined) entry.accepted = true;
  }

  /** The document's page-size arguments (page-size.ts), found once per kept document. */
  pageArguments(document: DocumentNode): readonly PageArgument[] {
    const entry = this.byDocument.get(document);
    if (entry === undefined) return pageArgumentsOf(this.schema, document);
    entry.pageArguments ??= pageArgumentsOf(this.schema, document);
    return entry.pageArguments;
  }

  /** The kind of operation a kept document's text runs under that name; undefined when it is not kept or has no such operation. */
  operationKind(text: string | undefined, operationName: string | null | undefined): OperationTypeNode | undefined {
    const document = text === undefined ? undefined : this.kept.get(text)?.document;
    return document === undefined ? undefined : (getOperationAST(document, operationName)?.operation ?? undefined);
  }

  /** The document of this exact text, if Yoga accepted it before and it is still kept. */
  acceptedDocument(text: string): DocumentNode | undefined {
    const entry = this.kept.get(text);
    return entry?.accepted ? entry.document : undefined;
  }
}
