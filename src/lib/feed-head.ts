import type { Db } from '../db/client.js'
import { statement } from './statements.js'

/** The change feed's head: the seq of the last committed revision (0 for an empty feed). */
export function feedHead(db: Db): number {
  return statement(db, 'feed-head', () => 'select coalesce(max(seq), 0) from revisions')
    .pluck()
    .get() as number
}
