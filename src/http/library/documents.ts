/**
 * Every document the owner's app sends to /graphql, by the name the script asks for. They reach
 * the page as JSON and are trusted documents (so LIGHTBOX_TRUSTED_DOCUMENTS=only leaves the app
 * working); the app is a client of the public API like any other, with nothing of its own.
 */
const PHOTO_TILE = `fragment LibraryTile on Photo {
  id title description status failureReason takenAt createdAt width height version favorite rating
  placeholder { dominantColor }
  thumb: image(variant: THUMB, format: WEBP) { url width height }
  albums { id title visibility }
}`;

const ALBUM_CARD = `fragment LibraryAlbumCard on Album {
  id title description visibility photoCount photoOrder updatedAt
  cover { id thumb: image(variant: THUMB, format: WEBP) { url } }
}`;

const SHARE_LINK = `fragment LibraryShareLink on ShareLink {
  id label state tokenPrefix createdAt expiresAt lastUsedAt revokedAt viewCount
  hasPassword allowOriginals showMetadata showLocation
}`;

const USER_ERROR = '... on UserError { code message }';

export const LIBRARY_DOCUMENTS = {
  SignIn: 'query LibrarySignIn { shareLinks(first: 1) { totalCount } }',
  Timeline: `query LibraryTimeline($after: String, $orderBy: PhotoOrder!, $filter: PhotoFilter) {
  photos(first: 60, after: $after, orderBy: $orderBy, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...LibraryTile }
  }
}
${PHOTO_TILE}`,
  Search: `query LibrarySearch($text: String!, $after: String) {
  photos(first: 60, after: $after, orderBy: RELEVANCE, filter: { text: $text }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...LibraryTile }
  }
}
${PHOTO_TILE}`,
  MapClusters: `query LibraryMapClusters($bbox: GeoBox!, $zoom: Int!) {
  photoClusters(bbox: $bbox, zoom: $zoom) { count latitude longitude bounds { west south east north } }
}`,
  AreaPhotos: `query LibraryAreaPhotos($area: GeoBox!, $after: String) {
  photos(first: 60, after: $after, orderBy: TAKEN_AT_DESC, filter: { area: $area }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...LibraryTile }
  }
}
${PHOTO_TILE}`,
  TimelineMonths: `query LibraryTimelineMonths($filter: PhotoFilter) {
  timeline(bucket: MONTH, filter: $filter) { start end count }
}`,
  Albums: `query LibraryAlbums($after: String) {
  albums(first: 100, after: $after, orderBy: UPDATED_AT_DESC) {
    pageInfo { hasNextPage endCursor }
    nodes { ...LibraryAlbumCard }
  }
}
${ALBUM_CARD}`,
  Album: `query LibraryAlbum($id: ID!, $after: String) {
  album(id: $id) {
    ...LibraryAlbumCard
    download { url }
    photos(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...LibraryTile }
    }
  }
  shareLinks(first: 50, albumId: $id) { nodes { ...LibraryShareLink } }
}
${ALBUM_CARD}
${PHOTO_TILE}
${SHARE_LINK}`,
  Photo: `query LibraryPhoto($id: ID!) {
  photo(id: $id) {
    ...LibraryTile
    mimeType byteSize
    large: image(variant: LARGE, format: WEBP) { url width height }
    camera { make model lens }
    exposure { shutterSpeed fNumber iso focalLength }
    location { latitude longitude altitude }
    keywords
    place { name country countryCode }
  }
}
${PHOTO_TILE}`,
  LibraryChanged: `subscription LibraryChangedInApp {
  libraryChanged {
    photos { ...LibraryTile }
    removedPhotoIds
    albums { ...LibraryAlbumCard }
    removedAlbumIds
    missed
  }
}
${PHOTO_TILE}
${ALBUM_CARD}`,
  Upload: `mutation LibraryUpload($albumId: ID, $files: [File!]!) {
  uploadPhotos(albumId: $albumId, files: $files) {
    __typename
    ... on UploadPhotosPayload {
      results {
        __typename
        ... on UploadedPhoto { filename duplicate photo { ...LibraryTile } }
        ... on RejectedUpload { filename code message }
      }
    }
    ${USER_ERROR}
  }
}
${PHOTO_TILE}`,
  CreateAlbum: `mutation LibraryCreateAlbum($input: CreateAlbumInput!) {
  createAlbum(input: $input) { __typename ... on AlbumPayload { album { ...LibraryAlbumCard } } ${USER_ERROR} }
}
${ALBUM_CARD}`,
  UpdateAlbum: `mutation LibraryUpdateAlbum($input: UpdateAlbumInput!) {
  updateAlbum(input: $input) { __typename ... on AlbumPayload { album { ...LibraryAlbumCard } } ${USER_ERROR} }
}
${ALBUM_CARD}`,
  DeleteAlbum: `mutation LibraryDeleteAlbum($id: ID!) {
  deleteAlbum(id: $id) { __typename ... on DeletedPayload { deletedId } ${USER_ERROR} }
}`,
  AddToAlbum: `mutation LibraryAddToAlbum($albumId: ID!, $photoIds: [ID!]!) {
  addPhotosToAlbum(albumId: $albumId, photoIds: $photoIds) { __typename ... on AlbumPayload { album { id photoCount } } ${USER_ERROR} }
}`,
  RemoveFromAlbum: `mutation LibraryRemoveFromAlbum($albumId: ID!, $photoIds: [ID!]!) {
  removePhotosFromAlbum(albumId: $albumId, photoIds: $photoIds) { __typename ... on AlbumPayload { album { id photoCount } } ${USER_ERROR} }
}`,
  MoveInAlbum: `mutation LibraryMoveInAlbum($albumId: ID!, $photoId: ID!, $position: Int!) {
  movePhotoInAlbum(albumId: $albumId, photoId: $photoId, position: $position) { __typename ... on AlbumPayload { album { ...LibraryAlbumCard } } ${USER_ERROR} }
}
${ALBUM_CARD}`,
  SetCover: `mutation LibrarySetCover($albumId: ID!, $photoId: ID) {
  setAlbumCover(albumId: $albumId, photoId: $photoId) { __typename ... on AlbumPayload { album { ...LibraryAlbumCard } } ${USER_ERROR} }
}
${ALBUM_CARD}`,
  UpdatePhoto: `mutation LibraryUpdatePhoto($input: UpdatePhotoInput!) {
  updatePhoto(input: $input) { __typename ... on PhotoPayload { photo { ...LibraryTile keywords } } ${USER_ERROR} }
}
${PHOTO_TILE}`,
  UpdatePhotos: `mutation LibraryUpdatePhotos($input: UpdatePhotosInput!) {
  updatePhotos(input: $input) { __typename ... on PhotosPayload { photos { ...LibraryTile } } ${USER_ERROR} }
}
${PHOTO_TILE}`,
  RotatePhoto: `mutation LibraryRotatePhoto($id: ID!, $quarterTurns: Int!) {
  rotatePhoto(id: $id, quarterTurns: $quarterTurns) {
    __typename
    ... on PhotoPayload { photo { ...LibraryTile large: image(variant: LARGE, format: WEBP) { url width height } } }
    ${USER_ERROR}
  }
}
${PHOTO_TILE}`,
  DeletePhoto: `mutation LibraryDeletePhoto($id: ID!) {
  deletePhoto(id: $id) { __typename ... on DeletedPayload { deletedId } ${USER_ERROR} }
}`,
  CreateShareLink: `mutation LibraryCreateShareLink($input: CreateShareLinkInput!) {
  createShareLink(input: $input) { __typename ... on ShareLinkPayload { shareLink { ...LibraryShareLink url } } ${USER_ERROR} }
}
${SHARE_LINK}`,
  UpdateShareLink: `mutation LibraryUpdateShareLink($input: UpdateShareLinkInput!) {
  updateShareLink(input: $input) { __typename ... on ShareLinkPayload { shareLink { ...LibraryShareLink } } ${USER_ERROR} }
}
${SHARE_LINK}`,
  RevokeShareLink: `mutation LibraryRevokeShareLink($id: ID!) {
  revokeShareLink(id: $id) { __typename ... on ShareLinkPayload { shareLink { ...LibraryShareLink } } ${USER_ERROR} }
}
${SHARE_LINK}`,
} as const;

export type LibraryDocumentName = keyof typeof LIBRARY_DOCUMENTS;
