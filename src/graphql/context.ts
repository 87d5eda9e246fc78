import type { Db } from '../db/client.ts';

export interface GraphQLContext {
  db: Db;
}
