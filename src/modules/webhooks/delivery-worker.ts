import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../../db/client.js'
import { lowerThisThreadPriority } from '../../lib/thread-priority.js'
import { WriteTurn } from '../../lib/write-turn.js'
import { type Bookkeeping, type DeliveryLogger, DeliveryLoop, type Store, type Writer } from './delivery.js'
import { Pace } from './delivery-pace.js'
import {
  CHECKPOINT_MS,
  type DeliveryReply,
  type DeliveryRequest,
  type DeliveryWorkerData,
  encodeBatch,
  LEASE_ASKED,
  LEASE_IDLE,
  waitAsync,
} from './delivery-protocol.js'

/**
 * The delivery worker: the whole delivery loop (feed reads, serialization, signing, HTTP, the
 * delivery log and positions) on its own thread and its own connection to the service's
 * database (WAL: it reads the last committed state while requests write). Its bookkeeping is
 * committed by the request thread, in its write turn; a ping's log entry waits for that turn,
 * lent through shared memory, so a request's write never meets a locked database. Deliveries
 * slow to a floor while the request thread is busy (delivery-pace.ts).
 */
const port = parentPort
if (!port) throw new Error('delivery-worker.ts runs as a worker thread')
// Deliveries run at the lowest CPU priority: a delivery can wait, a request should not.
lowerThisThreadPriority(19)
const data = workerData as DeliveryWorkerData
const db = openDatabase(data.databasePath)
const lease = new Int32Array(data.lease)
const load = new Int32Array(data.load)
const post = (message: DeliveryReply) => port.postMessage(message)

/** Longer than any write turn a request holds (an import's is seconds). */
const LEASE_WAIT_MS = 120_000

/**
 * Asks for the write turn and runs `work` the moment it is lent. The worker keeps delivering
 * while it waits (its event loop, mostly idle on the network, picks the loan up at once); its
 * own writes (the ledger, pings) take turns among themselves first, as the lease is one word.
 */
const turns = new WriteTurn()
const write: Writer = (work) =>
  turns.run(async () => {
    Atomics.store(lease, 0, LEASE_ASKED)
    post({ kind: 'turn' })
    const waiting = waitAsync(lease, 0, LEASE_ASKED, LEASE_WAIT_MS)
    if (waiting.async) await waiting.value
    // Not lent in time: take the request back (the request thread, lending late, sees it gone).
    if (Atomics.compareExchange(lease, 0, LEASE_ASKED, LEASE_IDLE) === LEASE_ASKED) {
      throw new Error(`the write turn was not lent within ${LEASE_WAIT_MS} ms`)
    }
    try {
      return db.transaction((tx) => work(tx), { behavior: 'immediate' })
    } finally {
      Atomics.store(lease, 0, LEASE_IDLE)
      Atomics.notify(lease, 0)
    }
  })

/** Bookkeeping batches sent to the request thread, by job, until it answers that they are committed. */
const stores = new Map<number, { resolve(): void; reject(err: Error): void }>()
let nextStore = 1
const store: Store = (batch: Bookkeeping[]) =>
  new Promise((resolve, reject) => {
    const job = nextStore++
    stores.set(job, { resolve, reject })
    post({ kind: 'store', job, batch: encodeBatch(batch) })
  })

/** Errors cross the thread boundary as the fields pino would have logged. */
function wireFields(fields: Record<string, unknown>): Record<string, unknown> {
  const { err, ...rest } = fields
  if (!(err instanceof Error)) return fields
  return { ...rest, err: { type: err.name, message: err.message, stack: err.stack } }
}

const log: DeliveryLogger = {
  warn: (fields, msg) => post({ kind: 'log', log: { level: 'warn', fields: wireFields(fields), msg } }),
  error: (fields, msg) => post({ kind: 'log', log: { level: 'error', fields: wireFields(fields), msg } }),
}

const loop = new DeliveryLoop(db, data.config, log, write, new Pace(() => Atomics.load(load, 0)), store)

port.on('message', (request: DeliveryRequest) => {
  switch (request.kind) {
    case 'nudge':
      loop.nudge()
      break
    case 'ping':
      loop.ping(request.webhookId, request.url).then(
        (row) => post({ kind: 'pinged', job: request.job, row }),
        (err: unknown) => post({ kind: 'ping-failed', job: request.job, message: String(err) }),
      )
      break
    case 'stored': {
      const waiting = stores.get(request.job)
      stores.delete(request.job)
      if (request.error === null) waiting?.resolve()
      else waiting?.reject(new Error(request.error))
      break
    }
    case 'stop':
      clearInterval(checkpoints)
      void loop.stop().finally(() => {
        db.$client.close()
        post({ kind: 'stopped' })
      })
      break
  }
})

// The service's WAL checkpoints, off the request thread while this worker runs (delivery-protocol.ts).
const checkpoints = setInterval(() => {
  try {
    db.$client.pragma('wal_checkpoint(PASSIVE)')
  } catch (err) {
    log.error({ err }, 'WAL checkpoint failed')
  }
}, CHECKPOINT_MS)
checkpoints.unref()

loop.start()
