import { execute, type GraphQLError, parse, type TypedQueryDocumentNode } from 'graphql';
import type { GraphQLContext } from '../../graphql/context.ts';
import { codedIdError } from '../../graphql/request-errors.ts';
import { schema } from '../../graphql/schema.ts';

/**
 * Grids offer WebP and JPEG, the formats every photo already has its thumbnail in (the worker
 * makes them eagerly), so a first view of an album renders no AVIF on demand; a photo's own page
 * offers AVIF too.
 *
 * What the pages ask, in the schema's own language: the gallery is a client like any other.
 * The first render runs these in-process; the page's script runs the same documents (handed to
 * it in the page) against /graphql for every page after.
 */

/** What every picture in a grid has: its names, its placeholder and its SMALL rendition. */
const PICTURE = `
  id title description
  placeholder { dominantColor }
  small: image(variant: SMALL, format: JPG) { url width height }
  smallWebp: image(variant: SMALL, format: WEBP) { url }`;

/** An album's cover: a square crop. */
const COVER = `${PICTURE}
  thumb: image(variant: THUMB, format: JPG) { url width height }
  thumbWebp: image(variant: THUMB, format: WEBP) { url }`;

/**
 * A photo in an album's grid, at its own aspect (SMALL and MEDIUM keep it), with what its
 * lightbox shows: the capture line (null where the viewer may not see it) and the largest image
 * the viewer may download (ORIGINAL: full size without metadata, or LARGE for a share link that
 * does not allow originals).
 */
const TILE = `${PICTURE}
  takenAt
  camera { make model }
  medium: image(variant: MEDIUM, format: JPG) { url width height }
  mediumWebp: image(variant: MEDIUM, format: WEBP) { url }
  large: image(variant: LARGE, format: JPG) { url width height }
  webp: srcSet(format: WEBP)
  original: image(variant: ORIGINAL) { url }`;

export const ALBUMS_PAGE_SIZE = 24;
export const PHOTOS_PAGE_SIZE = 48;

const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

export const ALBUMS_PAGE = `query WebAlbumsPage($after: String) {
  page: albums(first: ${ALBUMS_PAGE_SIZE}, after: $after) {
    ${PAGE_INFO} edges { cursor node { id title photoCount cover { ${COVER} } } }
  }
}`;

export const ALBUM_PAGE = `query WebAlbumPage($id: ID!, $after: String) {
  album(id: $id) {
    id title description photoCount
    page: photos(first: ${PHOTOS_PAGE_SIZE}, after: $after) { ${PAGE_INFO} edges { cursor node { ${TILE} } } }
  }
}`;

export const SHARED_PAGE = `query WebSharedPage($after: String) {
  album: sharedAlbum {
    id title description photoCount download { url }
    page: photos(first: ${PHOTOS_PAGE_SIZE}, after: $after) { ${PAGE_INFO} edges { cursor node { ${TILE} } } }
  }
}`;

export const PHOTO_PAGE = `query WebPhotoPage($id: ID!, $album: ID!, $at: String, $inAlbum: Boolean!) {
  photo(id: $id) {
    id title description takenAt width height
    camera { make model lens }
    exposure { shutterSpeed fNumber iso focalLength }
    placeholder { dominantColor }
    large: image(variant: LARGE, format: JPG) { url width height }
    avif: srcSet(format: AVIF)
    webp: srcSet(format: WEBP)
    jpg: srcSet(format: JPG)
  }
  album(id: $album) @include(if: $inAlbum) {
    id title
    next: photos(first: 1, after: $at) { edges { cursor node { id } } }
    previous: photos(last: 1, before: $at) { edges { cursor node { id } } }
  }
}`;

/** Every document the gallery sends to /graphql: trusted in any mode, so the gallery works with LIGHTBOX_TRUSTED_DOCUMENTS=only. */
export const GALLERY_DOCUMENTS: readonly string[] = [ALBUMS_PAGE, ALBUM_PAGE, SHARED_PAGE, PHOTO_PAGE];

export interface ImageRef {
  url: string;
  width: number;
  height: number;
}

interface Picture {
  id: string;
  title: string;
  description: string;
  placeholder: { dominantColor: string | null } | null;
  small: ImageRef;
  smallWebp: { url: string };
}

export interface Cover extends Picture {
  thumb: ImageRef;
  thumbWebp: { url: string };
}

export interface Tile extends Picture {
  takenAt: string | null;
  camera: { make: string | null; model: string | null } | null;
  medium: ImageRef;
  mediumWebp: { url: string };
  large: ImageRef;
  webp: string;
  original: { url: string };
}

export interface Page<T> {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: T }[];
}

export interface AlbumsPageData {
  page: Page<{ id: string; title: string; photoCount: number; cover: Cover | null }>;
}

export interface AlbumPageData {
  album: {
    id: string;
    title: string;
    description: string;
    photoCount: number;
    /** Only the shared page asks: the whole album as a ZIP, where the link allows originals. */
    download?: { url: string } | null;
    page: Page<Tile>;
  } | null;
}

export interface PhotoPageData {
  photo: {
    id: string;
    title: string;
    description: string;
    takenAt: string | null;
    width: number;
    height: number;
    camera: { make: string | null; model: string | null; lens: string | null } | null;
    exposure: { shutterSpeed: string | null; fNumber: number | null; iso: number | null; focalLength: number | null } | null;
    placeholder: { dominantColor: string | null } | null;
    large: ImageRef;
    avif: string;
    webp: string;
    jpg: string;
  } | null;
  album?: {
    id: string;
    title: string;
    next: { edges: { cursor: string; node: { id: string } }[] };
    previous: { edges: { cursor: string; node: { id: string } }[] };
  } | null;
}

/** A shared photo's page walks its album: the link's album id, asked in-process only (the script never sends it). */
const SHARED_ALBUM_ID = 'query WebSharedAlbumId { sharedAlbum { id } }';

export interface SharedAlbumIdData {
  sharedAlbum: { id: string } | null;
}

function parsedOnce<Data, Variables>(text: string): TypedQueryDocumentNode<Data, Variables> {
  return parse(text) as TypedQueryDocumentNode<Data, Variables>;
}

/**
 * Every document the pages run in-process, parsed once, when this module loads. The set is
 * fixed (these five; nothing a request sends is parsed here), so there is no memo to bound.
 */
export const PAGE_DOCUMENTS = {
  albums: parsedOnce<AlbumsPageData, { after: string | null }>(ALBUMS_PAGE),
  album: parsedOnce<AlbumPageData, { id: string; after: string | null }>(ALBUM_PAGE),
  shared: parsedOnce<AlbumPageData, { after: string | null }>(SHARED_PAGE),
  photo: parsedOnce<PhotoPageData, { id: string; album: string; at: string | null; inAlbum: boolean }>(PHOTO_PAGE),
  sharedAlbumId: parsedOnce<SharedAlbumIdData, Record<string, never>>(SHARED_ALBUM_ID),
} as const;

/** The result of one document, run in-process with the request's own context (its viewer decides what it sees). */
export async function runQuery<Data, Variables extends Record<string, unknown>>(
  document: TypedQueryDocumentNode<Data, Variables>,
  variables: Variables,
  context: GraphQLContext,
): Promise<{ data: Data | undefined; errors: readonly GraphQLError[] }> {
  const result = await execute({ schema, document, variableValues: variables, contextValue: context });
  // Coded as /graphql codes them (Yoga's idErrorsPlugin there): a page tells a visitor's bad id from a bug by its code.
  const errors = (result.errors ?? []).map((error) => codedIdError(error) ?? error);
  return { data: (result.data ?? undefined) as Data | undefined, errors };
}
