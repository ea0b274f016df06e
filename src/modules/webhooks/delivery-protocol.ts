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
  | { kind: 'store'; job: number; batch: Bookkeeping[] }
  | { kind: 'log'; log: WireLog }
  | { kind: 'pinged'; job: number; row: DeliveryRow }
  | { kind: 'ping-failed'; job: number; message: string }
  | { kind: 'stopped' }

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
