/** What GraphiQL opens with: a query that works against any library, empty or not. */
export const GRAPHIQL_DEFAULT_QUERY = `# Welcome to Lightbox. Press the play button to run this query.
# Import photos first with: npx lightbox import <folder>
query Gallery {
  albums(first: 10) {
    totalCount
    nodes {
      id
      title
      photoCount
      photos(first: 4) {
        nodes {
          id
          title
          width
          height
          takenAt
          image { url width height }
        }
      }
    }
  }
  photos(first: 10) {
    totalCount
    nodes { id title takenAt image { url } }
  }
}
`;
