import { randomBytes } from 'node:crypto';
import { type StartedSwift, startSwift, swiftMissing } from '../support/swift/start.ts';

export type { StartedSwift } from '../support/swift/start.ts';

const missing = swiftMissing();

/**
 * Skipped on a developer's machine without Swift's packages, with the line that installs them;
 * CI installs them (.ci/run), so there a test that cannot start Swift fails, saying the same.
 */
export const swiftSkip: string | false = missing === undefined || process.env.CI ? false : `OpenStack Swift is not installed (${missing})`;

let shared: Promise<StartedSwift> | undefined;

/** One Swift for the whole test process (a file's every server gets a bucket of its own in it). */
export function sharedSwift(): Promise<StartedSwift> {
  if (missing !== undefined) return Promise.reject(new Error(`OpenStack Swift is not installed: ${missing}`));
  shared ??= startSwift();
  return shared;
}

/** A fresh bucket in the shared Swift, and the environment a Lightbox uses it through. */
export async function freshBucket(prefix?: string): Promise<{ swift: StartedSwift; bucket: string; env: Record<string, string> }> {
  const swift = await sharedSwift();
  const bucket = `lightbox-${randomBytes(5).toString('hex')}`;
  await swift.createBucket(bucket);
  return { swift, bucket, env: swift.env(bucket, prefix) };
}
