import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { setImmediate as yieldToEvents } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import { Webhook } from 'standardwebhooks'
import type { WebhookConfig } from '../../config.js'
import type { Db } from '../../db/client.js'
import type { RevisionRow } from '../../db/schema.js'
import { serializerCompiler } from '../../lib/serializer.js'
import { newId, now, type Tx, updateRecord } from '../../lib/write-path.js'
import { writeTurn } from '../../lib/write-turn.js'
import { listChanges, presentRevision } from '../revisions/revisions-repository.js'
import { Revision } from '../revisions/revisions-schemas.js'
import { type CheckedTarget, resolveTarget, type TargetPolicy } from './targets.js'
import {
  advance,
  cursorOf,
  type DeliveryRow,
  dueSubscriptions,
  findWebhook,
  logDelivery,
  type NewDelivery,
  recordFailure,
  signingSecrets,
  wants,
} from './webhooks-repository.js'

/** The actor of the revisions the service itself writes (disabling a failing subscription). */
export const SYSTEM_ACTOR = 'pocdir:webhooks'
/** Feed entries read per query: small, so no read holds the event loop for long. */
const BATCH = 50
/** Bytes of a target's answer read before the connection is dropped. */
const RESPONSE_LIMIT = 4096

// The feed's own serializer over the feed's own schema: a delivery's body is byte for byte
// the entry /v1/changes shows.
const serializeRevision = serializerCompiler({
  schema: Revision,
  method: 'GET',
  url: '/v1/changes',
  httpStatus: '200',
})

export interface SendResult {
  ok: boolean
  status: number | null
  durationMs: number
  error: string | null
}

/** Connects to the address that was checked, whatever the resolver would answer now. */
const pinnedLookup =
  (target: CheckedTarget): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }])
    else callback(null, target.address, target.family)
  }

/**
 * One signed POST (Standard Webhooks): the target is resolved and checked first, the request
 * goes to the checked address, redirects are not followed, the answer is read up to a few KiB.
 */
export async function send(
  url: string,
  policy: TargetPolicy,
  timeoutMs: number,
  msgId: string,
  payload: string,
  secrets: string[],
  signal: AbortSignal,
): Promise<SendResult> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  let target: CheckedTarget
  try {
    target = await resolveTarget(url, policy)
  } catch (err) {
    return { ok: false, status: null, durationMs: elapsed(), error: `refused: ${(err as Error).message}` }
  }
  const at = new Date()
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    'user-agent': 'pocdir-webhooks',
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(msgId, at, payload)).join(' '),
  }
  const client = target.url.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    let settled = false
    const finish = (status: number | null, error: string | null) => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      request.destroy()
      const ok = error === null && status !== null && status >= 200 && status < 300
      resolve({
        ok,
        status,
        durationMs: elapsed(),
        error: ok ? null : (error ?? `the target answered ${status}`),
      })
    }
    const request = client.request(target.url, {
      method: 'POST',
      headers,
      agent: false,
      lookup: pinnedLookup(target),
      signal,
    })
    const deadline = setTimeout(() => finish(null, `no answer within ${timeoutMs} ms`), timeoutMs)
    request.on('response', (response) => {
      const status = response.statusCode ?? null
      let read = 0
      response.on('data', (chunk: Buffer) => {
        read += chunk.length
        if (read >= RESPONSE_LIMIT) finish(status, null)
      })
      response.on('end', () => finish(status, null))
      response.on('error', () => finish(status, null))
      response.on('close', () => finish(status, null))
    })
    request.on('error', (err: NodeJS.ErrnoException) =>
      finish(null, err.name === 'AbortError' ? 'aborted' : `${err.code ?? 'error'}: ${err.message}`),
    )
    request.end(payload)
  })
}

/** Exponential backoff with jitter: attempt n waits 75–100% of base·2^(n−1), capped at max. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random()): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 40))
  return Math.round(full * (0.75 + 0.25 * random))
}

/**
 * The delivery loop: for each active subscription, sends the feed entries after its stored
 * position in order, one request in flight per subscription, and stores the new position
 * after each success. It reads committed data only and writes its bookkeeping in its own short
 * transactions, in the service's write turn, so it never delays a request's write.
 */
export class DeliveryLoop {
  private timer: NodeJS.Timeout | undefined
  private timerAt = Number.POSITIVE_INFINITY
  private readonly running = new Map<string, Promise<void>>()
  private readonly aborts = new AbortController()
  private stopped = false

  constructor(
    private readonly db: Db,
    private readonly config: WebhookConfig,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    this.schedule(0)
  }

  /** A write committed: look for new entries now rather than at the next poll. */
  nudge(): void {
    this.schedule(0)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.aborts.abort()
    await Promise.allSettled(this.running.values())
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return
    const at = Date.now() + delayMs
    if (this.timer && this.timerAt <= at) return
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => this.tick(), delayMs)
    this.timer.unref()
  }

  private tick(): void {
    this.timer = undefined
    this.timerAt = Number.POSITIVE_INFINITY
    if (this.stopped) return
    try {
      for (const { webhook } of dueSubscriptions(this.db, Date.now())) {
        if (this.running.has(webhook.id)) continue
        const run = this.drain(webhook.id)
          .catch((err: unknown) => this.log.error({ err, webhookId: webhook.id }, 'webhook delivery failed'))
          .finally(() => this.running.delete(webhook.id))
        this.running.set(webhook.id, run)
      }
    } catch (err) {
      this.log.error({ err }, 'webhook delivery loop failed')
    }
    this.schedule(this.config.pollMs)
  }

  private write<T>(work: (tx: Tx) => T): Promise<T> {
    return writeTurn(this.db).run(() => this.db.transaction((tx) => work(tx), { behavior: 'immediate' }))
  }

  /** Sends what a subscription has not had yet, until it is caught up or an attempt fails. */
  private async drain(id: string): Promise<void> {
    while (!this.stopped) {
      const webhook = findWebhook(this.db, id)
      const cursor = cursorOf(this.db, id)
      if (!webhook?.active || !cursor || cursor.nextAttemptAt > Date.now()) return
      const rows = listChanges(this.db, cursor.position, BATCH)
      if (rows.length === 0) return
      let passed = cursor.position
      let attempt = cursor.attempt
      for (const row of rows) {
        if (this.stopped) return
        if (!wants(this.db, webhook, row)) {
          passed = row.seq
          continue
        }
        if (passed > cursor.position) {
          const to = passed
          await this.write((tx) => advance(tx, id, to))
        }
        attempt += 1
        if (!(await this.deliver(webhook.id, webhook.url, webhook.includeRestricted, row, attempt))) return
        attempt = 0
        passed = row.seq
      }
      if (passed > cursor.position) {
        const to = passed
        await this.write((tx) => advance(tx, id, to))
      }
      await yieldToEvents()
    }
  }

  private async deliver(
    id: string,
    url: string,
    includeRestricted: boolean,
    row: RevisionRow,
    attempt: number,
  ): Promise<boolean> {
    const payload = serializeRevision(presentRevision(row, includeRestricted))
    const secrets = signingSecrets(this.db, id, new Date())
    const result = await send(
      url,
      this.config,
      this.config.timeoutMs,
      String(row.seq),
      payload,
      secrets,
      this.aborts.signal,
    )
    // Cut short by shutdown: not the target's fault; the entry is sent again after the restart.
    if (this.stopped) return false
    const entry: NewDelivery = {
      webhookId: id,
      kind: 'change',
      seq: row.seq,
      attempt,
      at: now(),
      status: result.status,
      durationMs: result.durationMs,
      error: result.error,
    }
    await this.write((tx) => {
      // Deleted while the request was out: its log and position are gone with it.
      if (!findWebhook(tx, id)) return
      logDelivery(tx, entry, this.config.logKeep)
      if (result.ok) return advance(tx, id, row.seq)
      if (result.status === 410) return disable(tx, id, `The target answered 410 Gone at ${entry.at}`)
      const nowMs = Date.now()
      const since = cursorOf(tx, id)?.failingSince ?? nowMs
      if (nowMs - since >= this.config.disableAfterMs) {
        return disable(
          tx,
          id,
          `Deliveries failed continuously since ${new Date(since).toISOString()}; the last error: ${result.error}`,
        )
      }
      const next = nowMs + retryDelay(attempt, this.config.retryBaseMs, this.config.retryMaxMs)
      recordFailure(tx, id, attempt, next, since)
      this.schedule(next - nowMs)
    })
    if (!result.ok) {
      this.log.warn(
        { webhookId: id, seq: row.seq, attempt, status: result.status, error: result.error },
        'webhook delivery failed',
      )
    }
    return result.ok
  }

  /** Sends a signed ping now (whatever the subscription's state) and logs it. */
  async ping(id: string, url: string): Promise<DeliveryRow> {
    const at = now()
    const payload = JSON.stringify({ type: 'ping', webhookId: id, at })
    const result = await send(
      url,
      this.config,
      this.config.timeoutMs,
      `ping_${newId()}`,
      payload,
      signingSecrets(this.db, id, new Date()),
      this.aborts.signal,
    )
    const entry: NewDelivery = {
      webhookId: id,
      kind: 'ping',
      seq: null,
      attempt: 1,
      at,
      status: result.status,
      durationMs: result.durationMs,
      error: result.error,
    }
    return this.write((tx) => logDelivery(tx, entry, this.config.logKeep))
  }
}

/** Turns a subscription off through the write path, so its history says when and why. */
function disable(tx: Tx, id: string, reason: string): void {
  const current = findWebhook(tx, id)
  if (!current?.active) return
  updateRecord(tx, { actor: SYSTEM_ACTOR, requestId: newId() }, 'webhook', current, {
    active: false,
    disabledReason: reason.slice(0, 2000),
  })
}
