import type { Db } from '../../db/client.js'
import { fromWire, WorkerHost } from '../../lib/worker-host.js'
import { observeJob } from '../../plugins/metrics.js'
import type { ImportJob, ImportReply, ImportRequest, ImportWorkerData } from './import-protocol.js'
import type { ImportResult } from './imports-schemas.js'

export interface ImportRunner {
  /** Parses, validates and applies one import; the caller holds the write turn. */
  run(job: ImportJob): Promise<ImportResult>
  /** Gets the worker going while an import's body arrives (it loads its modules meanwhile). */
  warm(): void
  /** Keeps a spare worker loaded from now on (the service calls it once it listens). */
  keepWarm(): void
  close(): Promise<void>
}

/**
 * Imports off the request thread: a worker (a spare one kept loaded once the service listens,
 * else started with the first import) with its own connection and a heap limit (an import that
 * exceeds it is a 500, the service runs on and the next import gets a fresh worker). A private
 * in-memory database (`:memory:`, the tests' default) cannot be opened by a second connection,
 * so there the same job runs inline.
 */
export function importRunner(db: Db, workerMemoryMb: number): ImportRunner {
  const runner = threadedRunner(db, workerMemoryMb)
  return {
    // Every import's duration, refused or not, for /metrics.
    run: async (job) => {
      const started = performance.now()
      try {
        const result = await runner.run(job)
        observeJob('import', (performance.now() - started) / 1000, 'ok')
        return result
      } catch (err) {
        observeJob('import', (performance.now() - started) / 1000, 'failed')
        throw err
      }
    },
    warm: () => runner.warm(),
    keepWarm: () => runner.keepWarm(),
    close: () => runner.close(),
  }
}

/**
 * A spare worker starts this long after the service listens (and after a worker stops): its
 * module loading (0.4–0.75 s of CPU, bench/README.md) then neither delays readiness nor competes
 * with start-up, and an import no longer waits for it.
 */
const SPARE_WORKER_DELAY_MS = 1_000

function threadedRunner(db: Db, workerMemoryMb: number): ImportRunner {
  if (db.$client.memory) {
    // The job's code is the worker's: loaded here only for an in-memory database.
    return {
      run: async (job) => (await import('./import-job.js')).importRows(db, job),
      warm: () => {},
      keepWarm: () => {},
      close: async () => {},
    }
  }
  const workerData: ImportWorkerData = { databasePath: db.$client.name }
  const host = new WorkerHost<Omit<ImportRequest, 'id'>, ImportReply>({
    entry: new URL('./import-worker.js', import.meta.url),
    workerData,
    maxOldGenerationSizeMb: workerMemoryMb,
    idleMs: 60_000,
  })
  return {
    run: (job) =>
      new Promise<ImportResult>((resolve, reject) => {
        const handle = host.open((reply) => {
          handle.close()
          if (reply.kind === 'done') resolve(reply.result)
          else reject(fromWire(reply.error))
        }, reject)
        handle.send({ job })
      }),
    warm: () => host.warm(),
    keepWarm: () => host.keepWarm(SPARE_WORKER_DELAY_MS),
    close: () => host.close(),
  }
}
