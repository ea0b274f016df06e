import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../../db/client.js'
import { answerImport } from './import-job.js'
import type { ImportRequest, ImportWorkerData } from './import-protocol.js'

/**
 * The import worker: parses, validates and applies imports on its own connection to the
 * service's database (WAL: the request thread keeps reading the last committed state), through
 * the same write path as any request. The request thread hands it one import at a time, in its
 * write turn.
 */
const port = parentPort
if (!port) throw new Error('import-worker.ts runs as a worker thread')
const db = openDatabase((workerData as ImportWorkerData).databasePath)

// Only the thread's glue is here; what it answers is answerImport's (import-job.ts), which the
// tests (and Stryker) can reach in-process.
port.on('message', (request: ImportRequest) => port.postMessage(answerImport(db, request)))
