// The access table (test/access-table.test.ts) again, every server of it on a bucket of a real
// Swift instead of the data dir: who may see which photo, and which image bytes each URL gets,
// must not depend on where the files are kept.
import { describe } from 'node:test';
import { swiftSkip } from './helpers/swift.ts';

process.env.LIGHTBOX_TEST_STORAGE = 'swift';

describe('the access table with the photos in object storage (Swift S3)', { skip: swiftSkip }, async () => {
  await import('./access-table.test.ts');
});
