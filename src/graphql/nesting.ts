/**
 * How deeply a GraphQL document's brackets nest, read from the raw text without parsing it:
 * graphql-js parses recursively, so a document nested a few thousand levels deep overflows the
 * stack before any token or depth limit can refuse it. Strings and comments are skipped.
 * Stops counting once `limit` is passed.
 */
export function bracketNesting(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x23 /* # */) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
    } else if (char === 0x22 /* " */) {
      if (text.startsWith('"""', i)) {
        let end = text.indexOf('"""', i + 3);
        // Inside a block string, a backslash before three quotes escapes them: not the end.
        while (end !== -1 && text.charCodeAt(end - 1) === 0x5c) end = text.indexOf('"""', end + 3);
        i = end === -1 ? text.length : end + 2;
      } else {
        for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      }
    } else if (char === 0x7b || char === 0x5b || char === 0x28 /* { [ ( */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (char === 0x7d || char === 0x5d || char === 0x29 /* } ] ) */) {
      depth--;
    }
  }
  return deepest;
}
