import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../../db/client.js'
import { lowerThisThreadPriority } from '../../lib/thread-priority.js'
import { type Bookkeeping, type DeliveryLogger, DeliveryLoop, type Store, type Writer } from './delivery.js'
import { deliveryLogPath, openDeliveryLogFile } from './delivery-log.js'
import { Pace } from './delivery-pace.js'
import {
  CHECKPOINT_MS,
  type DeliveryReply,
  type DeliveryRequest,
  type DeliveryWorkerData,
  encodeBatch,
} from './delivery-protocol.js'

/**
 * The delivery worker: the whole delivery loop (feed reads, serialization, signing, HTTP, the
 * delivery log) on its own thread, with its own connection to the service's database (WAL: it
 * reads the last committed state while requests write) and the only one that writes the
 * delivery log (a file of its own, delivery-log.ts, so no lock it holds is one a request
 * needs). Positions and retry state are committed by the request thread, in its write turn.
 * Deliveries slow to a floor while the request thread is busy (delivery-pace.ts).
 */
const port = parentPort
if (!port) throw new Error('delivery-worker.ts runs as a worker thread')
// Deliveries run at the lowest CPU priority: a delivery can wait, a request should not.
lowerThisThreadPriority(19)
const data = workerData as DeliveryWorkerData
const db = openDatabase(data.databasePath)
const deliveryLog = openDeliveryLogFile(deliveryLogPath(data.databasePath))
const load = new Int32Array(data.load)
const post = (message: DeliveryReply) => port.postMessage(message)

/** The log's writes: one synchronous transaction each, on the worker's own connection to it. */
const write: Writer = (work) =>
  new Promise((resolve) => resolve(deliveryLog.transaction((tx) => work(tx), { behavior: 'immediate' })))

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

const loop = new DeliveryLoop(
  db,
  deliveryLog,
  data.config,
  log,
  write,
  new Pace(() => Atomics.load(load, 0)),
  store,
)

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
    case 'forget':
      loop
        .forget(request.webhookId)
        .catch((err: unknown) =>
          log.error(
            { err, webhookId: request.webhookId },
            "dropping a deleted webhook subscription's log failed",
          ),
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
        deliveryLog.$client.close()
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
