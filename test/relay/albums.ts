// Relay's side of the client recipe: relay-compiler reads this file (through test/relay/relay.config.json)
// and writes its artifact to __generated__/, which the test runs through relay-runtime.
import { graphql } from 'relay-runtime';

export const RelayAlbumsQuery = graphql`
  query albumsRelayQuery($first: Int!, $after: String) {
    albums(first: $first, after: $after, orderBy: TITLE_ASC) @connection(key: "RelayAlbums_albums") {
      edges {
        node {
          id
          title
          photoCount
        }
      }
    }
  }
`;
