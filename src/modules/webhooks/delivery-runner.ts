import type { Worker } from 'node:worker_threads'
import type { FastifyBaseLogger } from 'fastify'
import type { WebhookConfig } from '../../config.js'
import type { Db } from '../../db/client.js'
import { startWorker } from '../../lib/worker-host.js'
import { DeliveryLoop, type Store, storeBookkeeping } from './delivery.js'
import type { DeliveryRow } from './delivery-log.js'
import { LOAD_SAMPLE_MS } from './delivery-pace.js'
import {
  CHECKPOINT_BACKSTOP_PAGES,
  type DeliveryReply,
  type DeliveryRequest,
  type DeliveryWorkerData,
  decodeBatch,
} from './delivery-protocol.js'
import { anyActive } from './webhooks-repository.js'

/** What the routes and hooks see of the delivery loop, wherever it runs. */
export interface Deliveries {
  start(): void
  /** A write committed: look for new entries now. */
  nudge(): void
  ping(webhookId: string, url: string): Promise<DeliveryRow>
  /**
   * A subscription was deleted: its delivery log is dropped by whoever writes the log (the
   * worker, told and not waited for; if none runs, its next start sweeps the log).
   */
  forget(webhookId: string): Promise<void>
  stop(): Promise<void>
}

/**
 * The delivery loop, off the request thread: in a worker with its own connection. A private
 * in-memory database (`:memory:`, the tests' default) cannot be opened by a second connection,
 * and with WEBHOOK_DELIVERY off only pings are sent; both run on the request thread.
 */
export function deliveries(
  db: Db,
  deliveryLog: Db,
  config: WebhookConfig,
  log: FastifyBaseLogger,
): Deliveries {
  if (db.$client.memory || !config.delivery) return new DeliveryLoop(db, deliveryLog, config, log)
  return new ThreadedDeliveries(db, config, log)
}

/**
 * Every LOAD_SAMPLE_MS, stores the share of that time this thread's event loop was busy (in
 * thousandths) where the worker reads it. A timer that fires late (the loop was busy) measures
 * the longer time it covers.
 */
export function sampleLoad(load: Int32Array): NodeJS.Timeout {
  let last = performance.eventLoopUtilization()
  const timer = setInterval(() => {
    const current = performance.eventLoopUtilization()
    Atomics.store(load, 0, Math.round(performance.eventLoopUtilization(current, last).utilization * 1000))
    last = current
  }, LOAD_SAMPLE_MS)
  timer.unref()
  return timer
}

/** The worker's heap: a window of feed entries and the requests in flight. */
const WORKER_MEMORY_MB = 64
/** A worker that died is started again after this long. */
const RESTART_MS = 1000
/** How long a stopping worker gets to store what it delivered. */
const STOP_MS = 10_000

interface Running {
  worker: Worker
  /** Publishes the request thread's load to the worker. */
  sampler: NodeJS.Timeout
  exited: Promise<void>
  stopped: Promise<void>
}

class ThreadedDeliveries implements Deliveries {
  private running: Running | null = null
  private readonly pings = new Map<number, { resolve(row: DeliveryRow): void; reject(err: Error): void }>()
  private nextJob = 1
  private nudged = false
  private stopping = false
  private restart: NodeJS.Timeout | undefined
  private poll: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Db,
    private readonly config: WebhookConfig,
    private readonly log: FastifyBaseLogger,
  ) {
    this.store = storeBookkeeping(db)
  }

  start(): void {
    this.wake()
    // Subscriptions written by another process (the CLI) start the worker too.
    this.poll = setInterval(() => this.wake(), this.config.pollMs)
    this.poll.unref()
  }

  nudge(): void {
    if (!this.running) {
      this.wake()
      return
    }
    // Many writes in one turn of the event loop: one message.
    if (this.nudged) return
    this.nudged = true
    setImmediate(() => {
      this.nudged = false
      this.send({ kind: 'nudge' })
    })
  }

  ping(webhookId: string, url: string): Promise<DeliveryRow> {
    if (!this.running) this.spawn()
    const job = this.nextJob++
    return new Promise((resolve, reject) => {
      this.pings.set(job, { resolve, reject })
      if (!this.send({ kind: 'ping', job, webhookId, url })) {
        this.pings.delete(job)
        reject(new Error('the webhook delivery worker is not running'))
      }
    })
  }

  forget(webhookId: string): Promise<void> {
    this.send({ kind: 'forget', webhookId })
    return Promise.resolve()
  }

  async stop(): Promise<void> {
    this.stopping = true
    clearTimeout(this.restart)
    clearInterval(this.poll)
    const running = this.running
    if (!running) return
    running.worker.postMessage({ kind: 'stop' } satisfies DeliveryRequest)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      running.stopped,
      running.exited,
      new Promise((resolve) => {
        timer = setTimeout(resolve, STOP_MS)
      }),
    ])
    clearTimeout(timer)
    await running.worker.terminate()
  }

  private send(message: DeliveryRequest): boolean {
    if (!this.running) return false
    this.running.worker.postMessage(message)
    return true
  }

  /**
   * Starts the worker once a subscription is active: a service without subscriptions (most
   * test and development instances) spends no thread, memory or start-up on deliveries.
   */
  private wake(): void {
    if (!this.running && !this.stopping && !this.restart && anyActive(this.db)) this.spawn()
  }

  private spawn(): void {
    this.restart = undefined
    if (this.stopping || this.running) return
    const load = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
    const workerData: DeliveryWorkerData = {
      databasePath: this.db.$client.name,
      config: this.config,
      load: load.buffer as SharedArrayBuffer,
    }
    // The worker checkpoints while it runs; this connection only past the backstop.
    const client = this.db.$client
    const autocheckpoint = client.pragma('wal_autocheckpoint', { simple: true }) as number
    client.pragma(`wal_autocheckpoint = ${CHECKPOINT_BACKSTOP_PAGES}`)
    const worker = startWorker({
      entry: new URL('./delivery-worker.js', import.meta.url),
      workerData,
      maxOldGenerationSizeMb: WORKER_MEMORY_MB,
    })
    let onExit = () => {}
    let onStopped = () => {}
    const running: Running = {
      worker,
      sampler: sampleLoad(load),
      exited: new Promise((resolve) => {
        onExit = resolve
      }),
      stopped: new Promise((resolve) => {
        onStopped = resolve
      }),
    }
    worker.on('message', (message: DeliveryReply) => {
      switch (message.kind) {
        case 'store':
          void this.store(decodeBatch(message.batch)).then(
            () =>
              worker.postMessage({ kind: 'stored', job: message.job, error: null } satisfies DeliveryRequest),
            (err: unknown) =>
              worker.postMessage({
                kind: 'stored',
                job: message.job,
                error: String(err),
              } satisfies DeliveryRequest),
          )
          break
        case 'log':
          this.log[message.log.level](message.log.fields, message.log.msg)
          break
        case 'pinged':
          this.pings.get(message.job)?.resolve(message.row)
          this.pings.delete(message.job)
          break
        case 'ping-failed':
          this.pings.get(message.job)?.reject(new Error(`webhook ping failed: ${message.message}`))
          this.pings.delete(message.job)
          break
        case 'stopped':
          onStopped()
          break
      }
    })
    worker.on('error', (err) => this.log.error({ err }, 'webhook delivery worker failed'))
    worker.on('exit', (code) => {
      clearInterval(running.sampler)
      if (client.open) client.pragma(`wal_autocheckpoint = ${autocheckpoint}`)
      onExit()
      if (this.running === running) this.running = null
      const open = [...this.pings.values()]
      this.pings.clear()
      for (const job of open) job.reject(new Error(`the webhook delivery worker exited (code ${code})`))
      if (this.stopping) return
      this.log.error({ code }, 'webhook delivery worker exited; starting it again')
      this.restart = setTimeout(() => this.spawn(), RESTART_MS)
      this.restart.unref()
    })
    // The server keeps the process alive; the worker never does on its own.
    worker.unref()
    this.running = running
  }

  /**
   * Commits the worker's bookkeeping here, in this thread's write turn and at this thread's CPU
   * priority: held by the worker (lowest priority), the turn would keep request writes waiting
   * for as long as the kernel left the worker off the CPU.
   */
  private readonly store: Store
}
