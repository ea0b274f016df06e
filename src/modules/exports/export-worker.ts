import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../../db/client.js'
import { toWire } from '../../lib/worker-host.js'
import { exportChunks } from './export-jobs.js'
import type { ExportReply, ExportRequest, ExportWorkerData } from './export-protocol.js'

/**
 * The export worker: reads exports page by page on its own connection to the service's
 * database and hands the request thread one chunk whenever it asks for one, so a slow client
 * holds one chunk in memory, not the whole export.
 */
const port = parentPort
if (!port) throw new Error('export-worker.ts runs as a worker thread')
const db = openDatabase((workerData as ExportWorkerData).databasePath)
const open = new Map<number, { chunks: Iterator<string>; disclosed: string[] }>()

const reply = (message: ExportReply) => port.postMessage(message)

port.on('message', (request: ExportRequest) => {
  const { id } = request
  try {
    if (request.kind === 'start') {
      const disclosed: string[] = []
      open.set(id, { chunks: exportChunks(db, request.job, (ids) => disclosed.push(...ids)), disclosed })
      reply({ id, kind: 'ready' })
    } else if (request.kind === 'more') {
      const job = open.get(id)
      const next = job?.chunks.next()
      if (!job || !next || next.done) {
        open.delete(id)
        reply({ id, kind: 'end' })
      } else reply({ id, kind: 'chunk', chunk: next.value, contacts: job.disclosed.splice(0) })
    } else {
      open.get(id)?.chunks.return?.()
      open.delete(id)
    }
  } catch (err) {
    open.delete(id)
    reply({ id, kind: 'failed', error: toWire(err) })
  }
})
