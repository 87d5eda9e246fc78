import assert from 'node:assert/strict';
import path from 'node:path';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { openDatabase } from '../../src/db/client.ts';
import type { CreateShareLinkInput } from '../generated/graphql.ts';
import { graphql } from '../generated/index.ts';
import { dataOf, postGraphQL } from './graphql.ts';

const CreateShareLink = graphql(`
  mutation HelperCreateShareLink($input: CreateShareLinkInput!) {
    createShareLink(input: $input) {
      __typename
      ... on ShareLinkPayload {
        shareLink {
          id
          url
        }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

const RevokeShareLink = graphql(`
  mutation HelperRevokeShareLink($id: ID!) {
    revokeShareLink(id: $id) {
      __typename
    }
  }
`);

export interface MadeShareLink {
  /** Global id, for revokeShareLink. */
  id: string;
  /** `/s/<token>`. */
  url: string;
  token: string;
}

/** A share link made through GraphQL as the admin; fails the test when the server refuses. */
export async function createShareLinkAsAdmin(
  server: { url: string; admin: Record<string, string> },
  input: CreateShareLinkInput,
): Promise<MadeShareLink> {
  const made = dataOf(await postGraphQL(server.url, CreateShareLink, { input }, server.admin)).createShareLink;
  if (made.__typename !== 'ShareLinkPayload' || !('shareLink' in made) || !made.shareLink.url) {
    throw new Error(`createShareLink refused: ${JSON.stringify(made)}`);
  }
  return { id: made.shareLink.id, url: made.shareLink.url, token: made.shareLink.url.slice('/s/'.length) };
}

export async function revokeShareLinkAsAdmin(server: { url: string; admin: Record<string, string> }, id: string): Promise<void> {
  const revoked = dataOf(await postGraphQL(server.url, RevokeShareLink, { id }, server.admin)).revokeShareLink;
  assert.equal(revoked.__typename, 'ShareLinkPayload');
}

/**
 * Moves a link's expiry to a moment ago, in the database, as another process could (the running
 * server reads it at the next request): a link that has run out, without waiting for it to.
 */
export function expireShareLinkNow(dataDir: string, id: string): void {
  const handle = openDatabase(path.join(dataDir, 'lightbox.db'));
  try {
    const { changes } = handle.sqlite
      .prepare('UPDATE share_links SET expires_at = ? WHERE public_id = ? AND expires_at IS NOT NULL')
      .run(Date.now() - 1, decodeGlobalID(id).id);
    assert.equal(changes, 1, `the link ${id} exists and has an expiry`);
  } finally {
    handle.close();
  }
}
