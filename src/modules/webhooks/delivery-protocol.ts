import type { WebhookConfig } from '../../config.js'
import type { Bookkeeping } from './delivery.js'
import type { DeliveryRow } from './webhooks-repository.js'

/**
 * Messages between the request thread and the delivery worker. The worker's bookkeeping (the
 * delivery log, positions, retries) is sent to the request thread, which commits it in its own
 * write turn (`store`, answered `stored`). For a ping's log entry the write turn is lent through
 * shared memory (`lease`): the worker asks with a message, the request thread marks the lease
 * granted when the turn comes and wakes the worker, which hands it back (idle) the moment its
 * transaction ends. The request thread's load is published through shared memory too (`load`),
 * for the worker to yield to requests (delivery-pace.ts).
 */
export interface DeliveryWorkerData {
  databasePath: string
  config: WebhookConfig
  /** One Int32: the lease's state (LEASE_*). */
  lease: SharedArrayBuffer
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

/** No lease asked for. */
export const LEASE_IDLE = 0
/** The worker waits for the write turn. */
export const LEASE_ASKED = 1
/** The turn is the worker's until it sets the lease back to idle. */
export const LEASE_GRANTED = 2

/** Request thread to worker. */
export type DeliveryRequest =
  | { kind: 'nudge' }
  | { kind: 'ping'; job: number; webhookId: string; url: string }
  | { kind: 'stop' }
  | { kind: 'stored'; job: number; error: string | null }

export interface WireLog {
  level: 'warn' | 'error'
  fields: Record<string, unknown>
  msg: string
}

/** Worker to request thread. */
export type DeliveryReply =
  | { kind: 'turn' }
  | { kind: 'store'; job: number; batch: WireBatch }
  | { kind: 'log'; log: WireLog }
  | { kind: 'pinged'; job: number; row: DeliveryRow }
  | { kind: 'ping-failed'; job: number; message: string }
  | { kind: 'stopped' }

/**
 * A batch of bookkeeping as it crosses to the request thread: flat arrays of strings and
 * numbers, which cost the request thread about a tenth of what copying the same records as
 * objects does (one object per record and per log entry). Each record is FIELDS values in
 * `records`; failures and disables, rare, travel as they are, with their record's index.
 */
export interface WireBatch {
  /** Each subscription of the batch, once. */
  ids: string[]
  records: (string | number | null)[]
  outcomes: { record: number; failure?: Bookkeeping['failure']; disable?: string }[]
}

/** Values per record: id index, kind (NONE, CHANGE, PING), seq, attempt, at, status, durationMs, error, position. */
const FIELDS = 9
const NONE = 0
const CHANGE = 1
const PING = 2
/** No position in the record. */
const NO_POSITION = -1

export function encodeBatch(batch: readonly Bookkeeping[]): WireBatch {
  const index = new Map<string, number>()
  const ids: string[] = []
  const records: (string | number | null)[] = []
  const outcomes: WireBatch['outcomes'] = []
  for (const [i, item] of batch.entries()) {
    let id = index.get(item.webhookId)
    if (id === undefined) {
      id = ids.push(item.webhookId) - 1
      index.set(item.webhookId, id)
    }
    const e = item.entry
    records.push(
      id,
      e ? (e.kind === 'ping' ? PING : CHANGE) : NONE,
      e?.seq ?? null,
      e?.attempt ?? 0,
      e?.at ?? '',
      e?.status ?? null,
      e?.durationMs ?? 0,
      e?.error ?? null,
      item.position ?? NO_POSITION,
    )
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
  for (let r = 0; r < records.length; r += FIELDS) {
    const webhookId = ids[records[r] as number] as string
    const kind = records[r + 1] as number
    const position = records[r + 8] as number
    const item: Bookkeeping = { webhookId }
    if (kind !== NONE) {
      item.entry = {
        webhookId,
        kind: kind === PING ? 'ping' : 'change',
        seq: records[r + 2] as number | null,
        attempt: records[r + 3] as number,
        at: records[r + 4] as string,
        status: records[r + 5] as number | null,
        durationMs: records[r + 6] as number,
        error: records[r + 7] as string | null,
      }
    }
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

// Atomics.waitAsync is ES2024 (in Node since 16); the project's lib is ES2023.
export const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs?: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> }
  }
).waitAsync
