import { builder } from './builder.ts';
import './scalars.ts';
import './photo.ts';
import './album.ts';
import './query.ts';

export const schema = builder.toSchema({ sortSchema: true });
