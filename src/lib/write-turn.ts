import type { Db } from '../db/client.js'

/**
 * Writers take turns, first come first served. SQLite lets one connection write at a time; while
 * an import's worker holds the write lock for seconds, a request thread that began its own
 * transaction would block the whole event loop on `busy_timeout` (and fail after it). A write
 * route awaits its turn instead, then runs its synchronous transaction, so waiting writers cost
 * the event loop nothing and reads, which never take a turn, keep answering.
 */
export class WriteTurn {
  private tail: Promise<unknown> = Promise.resolve()

  /** Runs `work` once every earlier turn has ended (settled either way); its result or error is yours. */
  run<T>(work: () => T | Promise<T>): Promise<T> {
    const turn = this.tail.then(work)
    this.tail = turn.catch(() => undefined)
    return turn
  }
}

const turns = new WeakMap<Db, WriteTurn>()

/** The write turn of a database connection (every writer to it through this service shares it). */
export function writeTurn(db: Db): WriteTurn {
  let turn = turns.get(db)
  if (!turn) {
    turn = new WriteTurn()
    turns.set(db, turn)
  }
  return turn
}
