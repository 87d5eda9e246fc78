import type { Viewer, ViewerCheck } from '../auth/viewer.ts';
import { SHARE_HEADER, type ShareAccess, type ShareResolution } from '../catalog/share-access.ts';
import { hasErrorCode } from '../errors.ts';
import { meterSync, type SqlUsage } from '../sql-meter.ts';
import { requestError } from './request-errors.ts';

/** Who asks, by the request's credentials, before a share link's grant is applied (see requestContexts). */
export interface CallerIdentity {
  viewer: Viewer;
  share: ShareResolution;
}

/**
 * The caller a GraphQL request's headers name: the admin by token, anyone else anonymous, and
 * what an X-Lightbox-Share header opens. A bad token or an unknown link throws the request error
 * that is answered. A granted link counts as one use (ShareUsage), so each request is identified
 * once, whichever path executes it.
 */
export function callerIdentity(
  viewers: ViewerCheck,
  shares: ShareAccess,
  header: (name: string) => string | null,
  sqlUsage: SqlUsage | undefined,
): CallerIdentity {
  let viewer: Viewer;
  try {
    viewer = viewers.fromAuthorization(header('authorization'));
  } catch (error) {
    if (!hasErrorCode(error, 'UNAUTHENTICATED')) throw error;
    throw requestError('UNAUTHENTICATED', `Not authenticated: ${error.message}`, {
      withStatus: true,
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  // The admin sees everything already: a share header beside the admin token changes nothing.
  const share: ShareResolution =
    viewer.kind === 'admin' ? { kind: 'none' } : meterSync(sqlUsage, () => shares.resolve(header(SHARE_HEADER)));
  if (share.kind === 'unknown') {
    throw requestError('SHARE_LINK_NOT_FOUND', 'This share link does not exist, or it was revoked or has expired', {
      withStatus: true,
    });
  }
  return { viewer, share };
}
