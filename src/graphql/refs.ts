import type { AlbumRecord } from '../catalog/album-records.ts';
import type { PhotoRecord } from '../catalog/photo-records.ts';
import { builder } from './builder.ts';

// Declared apart from the files that implement them: an album lists photos and a photo its albums,
// and each file needs the other's type without importing the other.
export const AlbumRef = builder.objectRef<AlbumRecord>('Album');
export const PhotoRef = builder.objectRef<PhotoRecord>('Photo');
