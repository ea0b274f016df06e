import { Readable } from 'node:stream'
import type { Db } from '../../db/client.js'
import { fromWire, WorkerHost } from '../../lib/worker-host.js'
import { observeJob } from '../../plugins/metrics.js'
import type { ExportJob, ExportMessage, ExportReply, ExportWorkerData } from './export-protocol.js'

type Host = WorkerHost<ExportMessage, ExportReply>

const hosts = new WeakMap<Db, Host>()

function hostOf(db: Db): Host {
  let host = hosts.get(db)
  if (!host) {
    const workerData: ExportWorkerData = { databasePath: db.$client.name }
    host = new WorkerHost({
      entry: new URL('./export-worker.js', import.meta.url),
      workerData,
      maxOldGenerationSizeMb: 256,
      idleMs: 30_000,
    })
    hosts.set(db, host)
  }
  return host
}

/**
 * An export as a stream, produced off the request thread: the export worker reads pages on its
 * own connection and sends a chunk each time the stream asks for one (so the reply's
 * backpressure reaches the worker). Resolves once the first page is read: a bad filter or
 * cursor rejects (400) before any byte is sent. A private in-memory database cannot be opened by
 * the worker, so there the same chunks are read inline.
 */
export async function exportStream(
  db: Db,
  job: ExportJob,
  disclosed: (contactIds: string[]) => void = () => {},
): Promise<Readable> {
  const started = performance.now()
  const observe = (outcome: 'ok' | 'failed') =>
    observeJob('export', (performance.now() - started) / 1000, outcome)
  let stream: Readable
  try {
    stream = await startExport(db, job, disclosed)
  } catch (err) {
    observe('failed')
    throw err
  }
  // Its duration, from the request to the last chunk (or the failure), for /metrics.
  stream.once('end', () => observe('ok'))
  stream.once('error', () => observe('failed'))
  return stream
}

async function startExport(
  db: Db,
  job: ExportJob,
  disclosed: (contactIds: string[]) => void,
): Promise<Readable> {
  if (db.$client.memory) {
    // The job's code is the worker's: loaded here only for an in-memory database.
    const chunks = (await import('./export-jobs.js')).exportChunks(db, job, disclosed)
    return Readable.from({ [Symbol.iterator]: () => chunks })
  }
  return new Promise<Readable>((resolve, reject) => {
    let stream: Readable | undefined
    const fail = (err: Error) => {
      handle.close()
      if (stream) stream.destroy(err)
      else reject(err)
    }
    const handle = hostOf(db).open((reply) => {
      if (reply.kind === 'ready') {
        stream = new Readable({
          read: () => handle.send({ kind: 'more' }),
          destroy: (err, done) => {
            // The client went away (or the export failed): the worker drops the job.
            handle.send({ kind: 'cancel' })
            handle.close()
            done(err)
          },
        })
        resolve(stream)
      } else if (reply.kind === 'chunk') {
        if (reply.contacts.length) disclosed(reply.contacts)
        // An empty chunk (a page with nothing to write) is not pushed: it would end the reading.
        if (reply.chunk === '') handle.send({ kind: 'more' })
        else stream?.push(reply.chunk)
      } else if (reply.kind === 'end') {
        handle.close()
        stream?.push(null)
      } else fail(fromWire(reply.error))
    }, fail)
    handle.send({ kind: 'start', job })
  })
}

/** Stops the export worker of this database, if one runs. */
export async function closeExports(db: Db): Promise<void> {
  const host = hosts.get(db)
  hosts.delete(db)
  await host?.close()
}
