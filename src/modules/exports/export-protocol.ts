import type { WireError } from '../../lib/worker-host.js'
import type { ContactListQuery } from '../contacts/contacts-schemas.js'
import type { DirectoryFilter } from '../directory/directory-repository.js'

/** An export the export worker streams: what to read, as whom. */
export type ExportJob =
  | { what: 'contacts'; query: ContactListQuery; seeRestricted: boolean; format: 'csv' | 'vcard' }
  | { what: 'directory'; filter: DirectoryFilter; seeRestricted: boolean }

/**
 * Request thread to worker: start a job (the worker reads its first page and answers `ready`
 * or `failed`), then ask for one chunk at a time (`more`: the reply's backpressure reaches the
 * worker), or give up (`cancel`: the client went away).
 */
export type ExportMessage = { kind: 'start'; job: ExportJob } | { kind: 'more' } | { kind: 'cancel' }
export type ExportRequest = ExportMessage & { id: number }

/** Worker to request thread. */
export type ExportReply =
  | { id: number; kind: 'ready' }
  | { id: number; kind: 'chunk'; chunk: string; contacts: string[] }
  | { id: number; kind: 'end' }
  | { id: number; kind: 'failed'; error: WireError }

export interface ExportWorkerData {
  databasePath: string
}
