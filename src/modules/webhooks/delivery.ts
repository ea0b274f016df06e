import { setMaxListeners } from 'node:events'
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { setImmediate as yieldToEvents } from 'node:timers/promises'
import type { WebhookConfig } from '../../config.js'
import type { Db } from '../../db/client.js'
import type { RevisionRow } from '../../db/schema.js'
import { lazy } from '../../lib/lazy.js'
import { serializerCompiler } from '../../lib/serializer.js'
import { newId, now, type Tx, updateRecord } from '../../lib/write-path.js'
import { writeTurn } from '../../lib/write-turn.js'
import { observeWebhookWriteTurn } from '../../plugins/metrics.js'
import { listChanges, presentRevision } from '../revisions/revisions-repository.js'
import { Revision } from '../revisions/revisions-schemas.js'
import {
  type DeliveryRow,
  forgetDeliveries,
  insertDelivery,
  logDelivery,
  loggedWebhooks,
  type NewDelivery,
  pruneDeliveries,
} from './delivery-log.js'
import { Pace } from './delivery-pace.js'
import { type CheckedTarget, resolveTarget, type TargetPolicy } from './targets.js'
import {
  advance,
  cursorOf,
  dueSubscriptions,
  findWebhook,
  recordFailure,
  signingSecrets,
  statesOfRevision,
  wants,
  webhookExists,
} from './webhooks-repository.js'

/** The actor of the revisions the service itself writes (disabling a failing subscription). */
export const SYSTEM_ACTOR = 'pocdir:webhooks'
/** Feed entries read per query: small, so no read holds the event loop for long. */
const BATCH = 50
/** Bytes of a target's answer read before the connection is dropped. */
const RESPONSE_LIMIT = 4096
// Only a process that delivers signs: the request thread hands deliveries to a worker.
const standardWebhooks = lazy<typeof import('standardwebhooks')>('standardwebhooks')

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

/** An idle kept-alive connection is closed after this long (Node's servers close theirs after 5 s). */
const IDLE_MS = 4000
/** Targets whose connections are kept; past this, the longest unused target's are dropped. */
const POOLS = 1000

interface Pool {
  address: string
  agent: http.Agent
}

/**
 * Kept-alive connections, one pool per target (scheme, host, port) and the address it was
 * checked to resolve to. When a target resolves to another address, its old pool is retired:
 * idle connections are closed at once, busy ones when their answer ends, and none is used again.
 */
export class Connections {
  private readonly pools = new Map<string, Pool>()

  agentFor(target: CheckedTarget): http.Agent {
    const key = target.url.origin
    const pool = this.pools.get(key)
    this.pools.delete(key)
    if (pool?.address === target.address) {
      // Most recently used last: the first entry is the one to drop.
      this.pools.set(key, pool)
      return pool.agent
    }
    if (pool) retire(pool.agent)
    const options = { keepAlive: true, timeout: IDLE_MS, lookup: pinnedLookup(target) }
    const agent = target.url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)
    this.pools.set(key, { address: target.address, agent })
    if (this.pools.size > POOLS) {
      const [oldest, old] = this.pools.entries().next().value as [string, Pool]
      this.pools.delete(oldest)
      retire(old.agent)
    }
    return agent
  }

  /** Closes every connection (the loop is stopping). */
  close(): void {
    for (const { agent } of this.pools.values()) agent.destroy()
    this.pools.clear()
  }
}

function retire(agent: http.Agent): void {
  agent.keepSocketAlive = () => false
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy()
}

/** The errors of a kept-alive connection the target closed while it was idle. */
const STALE = new Set(['ECONNRESET', 'EPIPE'])

interface Attempt {
  status: number | null
  error: string | null
  /** The request went out on a reused connection that was reset before any answer. */
  stale: boolean
}

/**
 * One signed POST (Standard Webhooks): the target is resolved and checked first, the request
 * goes to the checked address on a kept-alive connection to it, redirects are not followed,
 * the answer is read up to a few KiB. A reused connection reset before any answer (the target
 * closed it while idle) is not the target's failure: the request is sent once more, on a new
 * connection.
 */
export async function send(
  url: string,
  policy: TargetPolicy,
  timeoutMs: number,
  msgId: string,
  payload: string,
  secrets: string[],
  signal: AbortSignal,
  connections: Connections,
): Promise<SendResult> {
  const started = performance.now()
  let target: CheckedTarget
  try {
    // Resolving counts against the attempt's timeout, like connecting and waiting for the answer.
    target = await resolveTarget(url, policy, { timeoutMs })
  } catch (err) {
    return {
      ok: false,
      status: null,
      durationMs: Math.round(performance.now() - started),
      error: `refused: ${(err as Error).message}`,
    }
  }
  return sendTo(target, timeoutMs, msgId, payload, secrets, signal, connections, started)
}

/** The signed POST to a target already checked (`send`'s second half). */
export async function sendTo(
  target: CheckedTarget,
  timeoutMs: number,
  msgId: string,
  payload: string,
  secrets: string[],
  signal: AbortSignal,
  connections: Connections,
  started = performance.now(),
): Promise<SendResult> {
  const { Webhook } = standardWebhooks()
  const at = new Date()
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    'user-agent': 'pocdir-webhooks',
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(msgId, at, payload)).join(' '),
  }
  const deadline = { at: Date.now() + timeoutMs - (performance.now() - started), timeoutMs }
  let result = await post(target, connections.agentFor(target), headers, payload, deadline, signal)
  if (result.stale) result = await post(target, false, headers, payload, deadline, signal)
  const { status, error } = result
  const ok = error === null && status !== null && status >= 200 && status < 300
  return {
    ok,
    status,
    durationMs: Math.round(performance.now() - started),
    error: ok ? null : (error ?? `the target answered ${status}`),
  }
}

function post(
  target: CheckedTarget,
  agent: http.Agent | false,
  headers: Record<string, string>,
  payload: string,
  /** Both requests of an attempt share its deadline. */
  deadline: { at: number; timeoutMs: number },
  signal: AbortSignal,
): Promise<Attempt> {
  const client = target.url.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    let settled = false
    let answered = false
    /** `keep`: the answer was read to its end, so the connection may serve the next request. */
    const finish = (status: number | null, error: string | null, keep = false, stale = false) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (!keep) request.destroy()
      resolve({ status, error, stale })
    }
    const request = client.request(target.url, {
      method: 'POST',
      headers,
      agent,
      lookup: pinnedLookup(target),
      signal,
    })
    const timer = setTimeout(
      () => finish(null, `no answer within ${deadline.timeoutMs} ms`),
      Math.max(0, deadline.at - Date.now()),
    )
    request.on('response', (response) => {
      answered = true
      const status = response.statusCode ?? null
      let read = 0
      response.on('data', (chunk: Buffer) => {
        read += chunk.length
        if (read >= RESPONSE_LIMIT) finish(status, null)
      })
      response.on('end', () => finish(status, null, true))
      response.on('error', () => finish(status, null))
      response.on('close', () => finish(status, null))
    })
    request.on('error', (err: NodeJS.ErrnoException) => {
      const stale = request.reusedSocket && !answered && STALE.has(err.code ?? '')
      finish(
        null,
        err.name === 'AbortError' ? 'aborted' : `${err.code ?? 'error'}: ${err.message}`,
        false,
        stale,
      )
    })
    request.end(payload)
  })
}

/** Exponential backoff with jitter: attempt n waits 75–100% of base·2^(n−1), capped at max. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random()): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 40))
  return Math.round(full * (0.75 + 0.25 * random))
}

/** Where the loop's warnings and errors go (the app's logger, or the worker's line to it). */
export interface DeliveryLogger {
  warn(fields: Record<string, unknown>, msg: string): void
  error(fields: Record<string, unknown>, msg: string): void
}

/**
 * Runs `work` in one short write transaction on the delivery log (delivery-log.ts): in the
 * delivery worker on its own connection, which nothing else writes; on the request thread in
 * that connection's write turn.
 */
export type Writer = <T>(work: (tx: Tx) => T) => Promise<T>

/**
 * Commits a batch of the loop's bookkeeping in the service's database: positions, retry state,
 * disables (log entries are ignored: the loop writes those to the delivery log itself). In the
 * delivery worker it is sent to the request thread, which commits it in its own write turn
 * (`storeBookkeeping`): the worker runs at the lowest CPU priority, and a transaction it held
 * would keep request writes waiting for as long as the kernel left it off the CPU.
 */
export type Store = (batch: Bookkeeping[]) => Promise<void>

/**
 * The request thread's store (for its own loop and for the worker's batches): its write turn,
 * then one immediate transaction, timed for /metrics (request writes wait while it runs).
 */
export const storeBookkeeping =
  (db: Db): Store =>
  (batch) =>
    writeTurn(db).run(() => {
      const started = performance.now()
      try {
        db.transaction((tx) => applyBookkeeping(tx, batch), { behavior: 'immediate' })
      } finally {
        observeWebhookWriteTurn((performance.now() - started) / 1000)
      }
    })

/** The request thread's writer: the service's write turn, then an immediate transaction. */
export const inTurn =
  (db: Db): Writer =>
  (work) =>
    writeTurn(db).run(() => db.transaction((tx) => work(tx), { behavior: 'immediate' }))

/** How long feed entries read for one subscription are reused for the others. */
const WINDOW_MS = 1000
/** Feed entries kept for reuse: subscriptions further behind than this read their own. */
const WINDOW_ROWS = 2000

/**
 * The feed as the delivery loop reads it: subscriptions at about the same position (the usual
 * case: all caught up, following the writes) share one read of each entry, one serialization
 * per redaction and one computation of its states, instead of one per subscription. Entries
 * are reused for at most a second after the window was first read, so a revision scrubbed by
 * an erasure is not sent from memory later than an in-flight delivery would have been.
 */
class FeedWindow {
  private rows: RevisionRow[] = []
  /** `rows` holds every entry with from < seq <= through (webhook revisions aside). */
  private from = 0
  private through = 0
  private readAt = 0
  private readonly payloads = new Map<number, string>()
  private readonly states = new Map<number, string[]>()

  constructor(private readonly db: Db) {}

  after(position: number, limit: number): RevisionRow[] {
    const fresh = Date.now() - this.readAt < WINDOW_MS
    if (!fresh || position < this.from || position > this.through) {
      this.rows = []
      this.from = position
      this.through = position
      this.readAt = Date.now()
      this.payloads.clear()
      this.states.clear()
    }
    let lo = 0
    let hi = this.rows.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.rows[mid] as RevisionRow).seq <= position) lo = mid + 1
      else hi = mid
    }
    const out = this.rows.slice(lo, lo + limit)
    if (out.length === limit) return out
    // The window ends before `limit` entries: what was committed since is read once, for all.
    const more = listChanges(this.db, this.through, limit - out.length)
    this.rows.push(...more)
    this.through = more.at(-1)?.seq ?? this.through
    const over = this.rows.length - WINDOW_ROWS
    if (over > 0) {
      this.from = (this.rows[over - 1] as RevisionRow).seq
      this.rows.splice(0, over)
    }
    return out.concat(more)
  }

  payload(row: RevisionRow, includeRestricted: boolean): string {
    const key = row.seq * 2 + (includeRestricted ? 1 : 0)
    let text = this.payloads.get(key)
    if (text === undefined) {
      if (this.payloads.size >= 2 * WINDOW_ROWS) this.payloads.clear()
      text = serializeRevision(presentRevision(row, includeRestricted))
      this.payloads.set(key, text)
    }
    return text
  }

  statesOf = (row: RevisionRow): string[] => {
    let codes = this.states.get(row.seq)
    if (codes === undefined) {
      if (this.states.size >= WINDOW_ROWS) this.states.clear()
      codes = statesOfRevision(this.db, row)
      this.states.set(row.seq, codes)
    }
    return codes
  }
}

/** What one attempt leaves in the database: a log entry, a new position, a failure or a disable. */
export interface Bookkeeping {
  webhookId: string
  entry?: NewDelivery
  position?: number
  failure?: { attempt: number; nextAttemptAt: number; since: number }
  disable?: string
}

/** Longest a success's record waits for its commit: about one write turn per this, whatever the rate. */
export const COMMIT_MS = 100
/** Records that are committed at once, without waiting for COMMIT_MS. */
export const COMMIT_RECORDS = 500

/**
 * The loop's writes, gathered: every subscription's attempts go into one short transaction
 * (one write turn) at most every COMMIT_MS, or as soon as COMMIT_RECORDS are waiting, not one
 * each. Each write turn is one the request thread's writes wait behind, so how often the loop
 * takes one matters more than how much it writes in it. A record that the next step depends on
 * (a failure's retry time, a disable, a stop) is committed at once. A caller waits for its
 * record's commit only where the next step reads it back (a failure, the end of a drain).
 */
class Ledger {
  private pending: { item: Bookkeeping; done: () => void }[] = []
  private flushing: Promise<void> | null = null
  private timer: NodeJS.Timeout | undefined
  /** A record waiting must not wait for the timer. */
  private urgent = false

  constructor(
    /** Writes the batch's log entries (delivery log). */
    private readonly writeLog: (batch: Bookkeeping[]) => Promise<void>,
    private readonly store: Store,
    private readonly log: DeliveryLogger,
  ) {}

  /** `now`: commit without waiting for COMMIT_MS (with what else is waiting). */
  record(item: Bookkeeping, now = false): Promise<void> {
    return new Promise((done) => {
      this.pending.push({ item, done })
      if (now) this.urgent = true
      this.next()
    })
  }

  /** Every record so far committed (or failed and logged). */
  async idle(): Promise<void> {
    while (this.flushing || this.pending.length > 0) {
      this.urgent = true
      this.next()
      await this.flushing
    }
  }

  /** Starts a commit now, or arms the timer for one, unless one is under way (it calls this at its end). */
  private next(): void {
    if (this.flushing || this.pending.length === 0) return
    if (this.urgent || this.pending.length >= COMMIT_RECORDS) {
      clearTimeout(this.timer)
      this.timer = undefined
      this.flushing = this.flush()
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined
        this.urgent = true
        this.next()
      }, COMMIT_MS)
      this.timer.unref()
    }
  }

  private async flush(): Promise<void> {
    // The attempts that end in this turn of the event loop go too.
    await yieldToEvents()
    const batch = this.pending.splice(0)
    this.urgent = false
    const items = batch.map(({ item }) => item)
    try {
      // A batch of positions alone (a drain's end) takes no lock on the log.
      if (items.some((i) => i.entry)) await this.writeLog(items)
    } catch (err) {
      this.log.error({ err }, 'webhook delivery log failed')
    }
    const stored = items.filter((i) => i.position !== undefined || i.failure || i.disable)
    try {
      if (stored.length > 0) await this.store(stored)
    } catch (err) {
      // Positions not stored are sent again: at least once still holds.
      this.log.error({ err }, 'webhook delivery bookkeeping failed')
    }
    this.flushing = null
    for (const { done } of batch) done()
    this.next()
  }
}

/**
 * Writes a batch's log entries to the delivery log, in one transaction the caller opened, in
 * order, and prunes each subscription's log that grew once. Entries of a subscription deleted
 * meanwhile (`exists`, asked of the service's database) are dropped.
 */
export function writeDeliveryLog(
  tx: Tx,
  batch: readonly Bookkeeping[],
  keep: number,
  exists: (webhookId: string) => boolean,
): void {
  const live = new Map<string, boolean>()
  for (const { webhookId, entry } of batch) {
    if (!entry) continue
    let alive = live.get(webhookId)
    if (alive === undefined) {
      alive = exists(webhookId)
      live.set(webhookId, alive)
    }
    if (alive) insertDelivery(tx, entry)
  }
  // Pruning less often (a tenth of WEBHOOK_LOG_KEEP at a time) measured no cheaper: each prune's
  // walk to the keep-th newest row is saved, but the rows it deletes lie further apart and
  // dirty a third more pages, which the commit and the checkpoints write.
  for (const [id, alive] of live) if (alive) pruneDeliveries(tx, id, keep)
}

/**
 * Writes a batch of bookkeeping (log entries aside), in one transaction the caller opened, with
 * the effect of applying its records one by one in order, with fewer statements: a
 * subscription's successive positions are one update, to the last (an update only moves a
 * position forward), made before a failure or a disable of the same subscription is recorded.
 */
export function applyBookkeeping(tx: Tx, batch: readonly Bookkeeping[]): void {
  const live = new Map<string, boolean>()
  const positions = new Map<string, number>()
  const storePosition = (id: string) => {
    const position = positions.get(id)
    if (position === undefined) return
    advance(tx, id, position)
    positions.delete(id)
  }
  for (const item of batch) {
    const id = item.webhookId
    let exists = live.get(id)
    if (exists === undefined) {
      exists = webhookExists(tx, id)
      live.set(id, exists)
    }
    // Deleted while the request was out: its log and position are gone with it.
    if (!exists) continue
    if (item.position !== undefined)
      positions.set(id, Math.max(item.position, positions.get(id) ?? item.position))
    if (item.failure || item.disable) storePosition(id)
    if (item.failure) {
      const { attempt, nextAttemptAt, since } = item.failure
      recordFailure(tx, id, attempt, nextAttemptAt, since)
    }
    if (item.disable) disable(tx, id, item.disable)
  }
  for (const id of positions.keys()) storePosition(id)
}

/**
 * The delivery loop: for each active subscription, sends the feed entries after its stored
 * position in order, one request in flight per subscription, and stores the new position
 * after each success. It reads committed data only, writes its log through `write` (the
 * delivery log's own file) and its bookkeeping in short batched transactions through `store`,
 * so it never delays a request's write for long. In a running service it lives in its own
 * worker thread (delivery-runner.ts).
 */
export class DeliveryLoop {
  private timer: NodeJS.Timeout | undefined
  private timerAt = Number.POSITIVE_INFINITY
  private readonly running = new Map<string, Promise<void>>()
  /** Subscriptions found due while they were draining: looked at again when that drain ends. */
  private readonly again = new Set<string>()
  private readonly aborts = new AbortController()
  private readonly feed: FeedWindow
  private readonly ledger: Ledger
  private readonly connections = new Connections()
  private stopped = false

  constructor(
    private readonly db: Db,
    /** The delivery log (delivery-log.ts). */
    deliveryLog: Db,
    private readonly config: WebhookConfig,
    private readonly log: DeliveryLogger,
    private readonly write: Writer = inTurn(deliveryLog),
    /** The gate before each delivery; on the request thread nothing to yield to, so never busy. */
    readonly pace: Pace = new Pace(() => 0),
    store: Store = storeBookkeeping(db),
  ) {
    // One listener per request in flight, one request per subscription: no leak to warn about.
    setMaxListeners(0, this.aborts.signal)
    this.feed = new FeedWindow(db)
    const exists = (id: string) => webhookExists(db, id)
    this.ledger = new Ledger(
      (batch) => this.write((tx) => writeDeliveryLog(tx, batch, config.logKeep, exists)),
      store,
      log,
    )
  }

  start(): void {
    this.schedule(0)
    void this.sweep().catch((err: unknown) => this.log.error({ err }, 'webhook delivery log sweep failed'))
  }

  /** Drops a deleted subscription's log. */
  forget(id: string): Promise<void> {
    return this.write((tx) => forgetDeliveries(tx, id))
  }

  /** Drops the logs of subscriptions deleted while no loop ran to be told (or before it committed). */
  private sweep(): Promise<void> {
    return this.write((tx) => {
      for (const id of loggedWebhooks(tx)) if (!webhookExists(this.db, id)) forgetDeliveries(tx, id)
    })
  }

  /** A write committed: look for new entries now rather than at the next poll. */
  nudge(): void {
    this.schedule(0)
  }

  /** Aborts the requests in flight and stores what was delivered. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.aborts.abort()
    this.pace.stop()
    await Promise.allSettled(this.running.values())
    await this.ledger.idle()
    this.connections.close()
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
        // A drain ends by waiting for its position's commit (up to COMMIT_MS): entries written
        // meanwhile are looked for again then, not at the next poll.
        if (this.running.has(webhook.id)) {
          this.again.add(webhook.id)
          continue
        }
        const run = this.drain(webhook.id)
          .catch((err: unknown) => this.log.error({ err, webhookId: webhook.id }, 'webhook delivery failed'))
          .finally(() => {
            this.running.delete(webhook.id)
            if (this.again.delete(webhook.id)) this.schedule(0)
          })
        this.running.set(webhook.id, run)
      }
    } catch (err) {
      this.log.error({ err }, 'webhook delivery loop failed')
    }
    this.schedule(this.config.pollMs)
  }

  /**
   * Sends what a subscription has not had yet, until it is caught up or an attempt fails. Its
   * position is read once and kept here while it runs; it ends when its records are committed,
   * so the next drain of the same subscription reads them back.
   */
  private async drain(id: string): Promise<void> {
    let webhook = findWebhook(this.db, id)
    const cursor = cursorOf(this.db, id)
    if (!webhook?.active || !cursor || cursor.nextAttemptAt > Date.now()) return
    let position = cursor.position
    let attempt = cursor.attempt
    let failingSince = cursor.failingSince
    while (!this.stopped && webhook?.active) {
      const rows = this.feed.after(position, BATCH)
      if (rows.length === 0) break
      const secrets = signingSecrets(this.db, id, new Date())
      for (const row of rows) {
        if (this.stopped) break
        if (!wants(this.db, webhook, row, this.feed.statesOf)) {
          position = row.seq
          continue
        }
        await this.pace.admit()
        if (this.stopped) break
        attempt += 1
        const result = await send(
          webhook.url,
          this.config,
          this.config.timeoutMs,
          String(row.seq),
          this.feed.payload(row, webhook.includeRestricted),
          secrets,
          this.aborts.signal,
          this.connections,
        )
        // Cut short by shutdown: not the target's fault; the entry is sent again after the restart.
        if (this.stopped) break
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
        if (result.ok) {
          void this.ledger.record({ webhookId: id, entry, position: row.seq })
          position = row.seq
          attempt = 0
          failingSince = null
          continue
        }
        await this.ledger.record(this.failed(entry, position, failingSince, result), true)
        this.log.warn(
          { webhookId: id, seq: row.seq, attempt, status: result.status, error: result.error },
          'webhook delivery failed',
        )
        return
      }
      webhook = findWebhook(this.db, id)
      await yieldToEvents()
    }
    await this.ledger.record({ webhookId: id, position })
  }

  /** A failed attempt's record: 410 disables, so does failing for too long; otherwise a retry later. */
  private failed(
    entry: NewDelivery,
    position: number,
    failingSince: number | null,
    result: SendResult,
  ): Bookkeeping {
    const record = { webhookId: entry.webhookId, entry, position }
    if (result.status === 410) return { ...record, disable: `The target answered 410 Gone at ${entry.at}` }
    const nowMs = Date.now()
    const since = failingSince ?? nowMs
    if (nowMs - since >= this.config.disableAfterMs) {
      return {
        ...record,
        disable: `Deliveries failed continuously since ${new Date(since).toISOString()}; the last error: ${result.error}`,
      }
    }
    const next = nowMs + retryDelay(entry.attempt, this.config.retryBaseMs, this.config.retryMaxMs)
    this.schedule(next - nowMs)
    return { ...record, failure: { attempt: entry.attempt, nextAttemptAt: next, since } }
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
      this.connections,
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
