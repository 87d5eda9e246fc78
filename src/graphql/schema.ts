import { builder } from './builder.ts';
import { withSynchronousNodeIds } from './global-ids.ts';
import './scalars.ts';
import './photo.ts';
import './album.ts';
import './query.ts';
import './timeline.ts';
import './map.ts';
import './errors.ts';
import './mutations.ts';
import './share-link.ts';
import './subscription.ts';

export const schema = withSynchronousNodeIds(builder.toSchema({ sortSchema: true }));
