import type { WebhookConfig } from '../../config.js'
import type { Bookkeeping } from './delivery.js'
import type { DeliveryRow } from './delivery-log.js'

/**
 * Messages between the request thread and the delivery worker. The worker writes the delivery
 * log itself (its own file, delivery-log.ts); its bookkeeping in the service's database
 * (positions, retries, disables) is sent to the request thread, which commits it in its own
 * write turn (`store`, answered `stored`). A deleted subscription's log is dropped on `forget`.
 * The request thread's load is published through shared memory (`load`), for the worker to
 * yield to requests (delivery-pace.ts).
 */
export interface DeliveryWorkerData {
  databasePath: string
  config: WebhookConfig
  /** One Int32: the request thread's event-loop utilization, in thousandths, lately. */
  load: SharedArrayBuffer
}

/**
 * While the worker runs it checkpoints the WAL every CHECKPOINT_MS (passive: writers and readers
 * go on) and the request thread's connection checkpoints only past CHECKPOINT_BACKSTOP_PAGES
 * (SQLite's default is 1,000): a checkpoint copies pages into the database file and syncs it, on
 * the request thread a stall of milliseconds to, on a busy disk, a hundred, that every request
 * waits through. The backstop bounds the WAL if the worker, at the lowest priority, gets no CPU.
 */
export const CHECKPOINT_MS = 1000
export const CHECKPOINT_BACKSTOP_PAGES = 10_000

/** Request thread to worker. */
export type DeliveryRequest =
  | { kind: 'nudge' }
  | { kind: 'ping'; job: number; webhookId: string; url: string }
  | { kind: 'forget'; webhookId: string }
  | { kind: 'stop' }
  | { kind: 'stored'; job: number; error: string | null }

export interface WireLog {
  level: 'warn' | 'error'
  fields: Record<string, unknown>
  msg: string
}

/** Worker to request thread. */
export type DeliveryReply =
  | { kind: 'store'; job: number; batch: WireBatch }
  | { kind: 'log'; log: WireLog }
  | { kind: 'pinged'; job: number; row: DeliveryRow }
  | { kind: 'ping-failed'; job: number; message: string }
  | { kind: 'stopped' }

/**
 * A batch of bookkeeping as it crosses to the request thread: flat arrays of strings and
 * numbers, which cost the request thread about a tenth of what copying the same records as
 * objects does. Each record is two values in `records` (its subscription's index in `ids`, its
 * position or NO_POSITION); failures and disables, rare, travel as they are, with their
 * record's index. Log entries stay in the worker (it writes the delivery log).
 */
export interface WireBatch {
  /** Each subscription of the batch, once. */
  ids: string[]
  records: number[]
  outcomes: { record: number; failure?: Bookkeeping['failure']; disable?: string }[]
}

/** No position in the record. */
const NO_POSITION = -1

export function encodeBatch(batch: readonly Bookkeeping[]): WireBatch {
  const index = new Map<string, number>()
  const ids: string[] = []
  const records: number[] = []
  const outcomes: WireBatch['outcomes'] = []
  for (const [i, item] of batch.entries()) {
    let id = index.get(item.webhookId)
    if (id === undefined) {
      id = ids.push(item.webhookId) - 1
      index.set(item.webhookId, id)
    }
    records.push(id, item.position ?? NO_POSITION)
    if (item.failure || item.disable) {
      outcomes.push({
        record: i,
        ...(item.failure ? { failure: item.failure } : {}),
        ...(item.disable ? { disable: item.disable } : {}),
      })
    }
  }
  return { ids, records, outcomes }
}

export function decodeBatch(wire: WireBatch): Bookkeeping[] {
  const { ids, records } = wire
  const batch: Bookkeeping[] = []
  for (let r = 0; r < records.length; r += 2) {
    const item: Bookkeeping = { webhookId: ids[records[r] as number] as string }
    const position = records[r + 1] as number
    if (position !== NO_POSITION) item.position = position
    batch.push(item)
  }
  for (const { record, failure, disable } of wire.outcomes) {
    const item = batch[record] as Bookkeeping
    if (failure) item.failure = failure
    if (disable) item.disable = disable
  }
  return batch
}
