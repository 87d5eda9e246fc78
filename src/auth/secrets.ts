import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../storage/atomic.ts';

export interface KeptSecret {
  value: string;
  /** True when this call generated it (and so it is new to whoever reads the start-up notice). */
  created: boolean;
}

/**
 * The configured value, or the one kept in `file`, or a new random one written there with
 * mode 0600. Keeping it means tokens and signed URLs survive restarts.
 */
export async function loadOrCreateSecret(file: string, tempDir: string, configured: string | undefined): Promise<KeptSecret> {
  if (configured !== undefined) return { value: configured, created: false };
  const kept = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    },
  );
  if (kept !== undefined && kept.length >= 16) return { value: kept, created: false };
  const value = randomBytes(32).toString('base64url');
  await writeFileAtomic(tempDir, file, `${value}\n`, 0o600);
  return { value, created: true };
}
