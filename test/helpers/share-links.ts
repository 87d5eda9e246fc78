import assert from 'node:assert/strict';
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
