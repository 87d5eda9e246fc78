import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';

const VARIABLE = 'LIGHTBOX_TRUSTED_DOCUMENTS_FILE';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Documents by their SHA-256 (hex): those of the manifests codegen writes (`persisted-documents.json`,
 * `{ "sha256:<hex>": "<document>" }`) and the server's own (the gallery's). Read once at start; a
 * manifest that cannot be read, or whose hash does not match its document, stops the start.
 */
export function loadTrustedDocuments(files: readonly string[], ownDocuments: readonly string[]): Map<string, string> {
  const documents = new Map<string, string>();
  for (const document of ownDocuments) documents.set(sha256Hex(document), document);
  for (const file of files) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(VARIABLE, `${file}: ${(error as Error).message}`);
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw new ConfigError(VARIABLE, `${file}: expected an object of "sha256:<hash>": "<document>" entries`);
    }
    for (const [key, document] of Object.entries(manifest)) {
      const hash = key.startsWith('sha256:') ? key.slice('sha256:'.length) : key;
      if (typeof document !== 'string' || sha256Hex(document) !== hash) {
        throw new ConfigError(VARIABLE, `${file}: "${key}" is not the SHA-256 of its document`);
      }
      documents.set(hash, document);
    }
  }
  return documents;
}
