import type { IngestRejection, StagedFile } from './ingest.ts';

/** One file of a multipart request, already on disk (or the reason it is not), for the mutation that consumes it. */
export type StagedUpload = { filename: string; staged: StagedFile } | { filename: string; failed: IngestRejection };
