import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../../db/client.js'
import { toWire } from '../../lib/worker-host.js'
import { importRows } from './import-job.js'
import type { ImportReply, ImportRequest, ImportWorkerData } from './import-protocol.js'

/**
 * The import worker: parses, validates and applies imports on its own connection to the
 * service's database (WAL: the request thread keeps reading the last committed state), through
 * the same write path as any request. The request thread hands it one import at a time, in its
 * write turn.
 */
const port = parentPort
if (!port) throw new Error('import-worker.ts runs as a worker thread')
const db = openDatabase((workerData as ImportWorkerData).databasePath)

port.on('message', (request: ImportRequest) => {
  let reply: ImportReply
  try {
    reply = { id: request.id, kind: 'done', result: importRows(db, request.job) }
  } catch (err) {
    reply = { id: request.id, kind: 'failed', error: toWire(err) }
  }
  port.postMessage(reply)
})
