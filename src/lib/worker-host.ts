import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { type ProblemBody, ProblemError } from './problem.js'

/**
 * One long-lived worker thread, started with the first job and stopped after a quiet spell,
 * that runs jobs for the request thread. Messages in both directions carry the job's `id`.
 * When the worker dies (out of memory, a crash), every open job fails with a plain Error
 * (answered as a generic 500) and the next job starts a fresh worker.
 */

/** An error as it crosses the thread boundary: a ProblemError keeps its whole answer. */
export type WireError = { problem: ProblemBody; headers: Record<string, string> } | { message: string }

export function toWire(err: unknown): WireError {
  if (err instanceof ProblemError) return { problem: err.toBody(), headers: err.headers }
  return { message: err instanceof Error ? (err.stack ?? err.message) : String(err) }
}

export function fromWire(wire: WireError): Error {
  if ('problem' in wire) {
    const { status, detail, type, title, errors } = wire.problem
    return new ProblemError(status, detail, { type, title, errors, headers: wire.headers })
  }
  return new Error(`worker job failed: ${wire.message}`)
}

export interface WorkerHostOptions {
  /** The worker's module as compiled (`new URL('./x-worker.js', import.meta.url)`). */
  entry: URL
  workerData: unknown
  /** The worker's heap limit: a job that needs more fails (500) instead of taking the host down. */
  maxOldGenerationSizeMb: number
  /** The worker stops after this long without open jobs (its memory goes back). */
  idleMs?: number
}

export interface Job<In> {
  readonly id: number
  send(message: In): void
  /** The job is over (its handler hears nothing more). */
  close(): void
}

interface OpenJob {
  /** The worker the job runs on: only its death fails the job. */
  worker: Worker
  onMessage(message: unknown): void
  onFailure(err: Error): void
}

// Running from TypeScript sources (tsx, vitest), a worker cannot load a .ts entry by itself: it
// starts from a line of JavaScript that loads the entry through tsx's API.
const fromSource = import.meta.url.endsWith('.ts')

/** Starts a worker on `options.entry`, from sources (through tsx) or compiled. */
export function startWorker(
  options: Pick<WorkerHostOptions, 'entry' | 'workerData' | 'maxOldGenerationSizeMb'>,
): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb }
  if (!fromSource) return new Worker(options.entry, { workerData: options.workerData, resourceLimits })
  // Stryker disable next-line Regex,StringLiteral: the entries are the repo's own files (no other `.js` in their path), and tsx also finds the path without its extension
  const entry = options.entry.href.replace(/\.js$/, '.ts')
  // tsx's ES module API (its CommonJS twin registers its hooks from a wrong path in a worker).
  const cjsApi = createRequire(import.meta.url).resolve('tsx/esm/api')
  // Stryker disable next-line Regex: the resolved path holds `.cjs` only at its end
  const api = cjsApi.replace(/\.cjs$/, '.mjs')
  const code =
    `import(${JSON.stringify(pathToFileURL(api).href)})` +
    `.then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`
  // Stryker disable next-line ArrayDeclaration: Node drops an entry that is not a flag, so the worker's execArgv is empty either way (the guard checks it is)
  return new Worker(code, { eval: true, execArgv: [], workerData: options.workerData, resourceLimits })
}

export class WorkerHost<In, Out extends { id: number }> {
  private worker: Worker | null = null
  private readonly jobs = new Map<number, OpenJob>()
  private nextId = 1
  // The pending stop of an idle worker. Set when the worker's last job closes, cleared when a job
  // opens: that is the one guard, so the timer never fires while a job is open.
  private idleTimer: NodeJS.Timeout | undefined
  // Kept warm (see keepWarm): the delay before a spare worker starts, and its pending start.
  private warmDelayMs: number | null = null
  private warmTimer: NodeJS.Timeout | undefined
  // Whether the running worker has taken a job (only such a worker stops when idle).
  // Stryker disable next-line BooleanLiteral: running() sets it before it is ever read
  private used = false
  private closed = false

  constructor(private readonly options: WorkerHostOptions) {}

  /** Opens a job: `onMessage` hears the worker's messages for it, `onFailure` the worker's death. */
  open(onMessage: (message: Out) => void, onFailure: (err: Error) => void): Job<In> {
    const worker = this.running()
    this.used = true
    const id = this.nextId++
    this.jobs.set(id, { worker, onMessage: onMessage as (m: unknown) => void, onFailure })
    clearTimeout(this.idleTimer)
    worker.ref()
    return {
      id,
      send: (message: In) => {
        if (this.jobs.has(id)) worker.postMessage({ ...message, id })
      },
      close: () => {
        if (this.jobs.delete(id)) this.whenIdle(worker)
      },
    }
  }

  /**
   * Starts the worker ahead of a job that is coming (an import whose body is still arriving),
   * so its start overlaps the wait; unused, it stops after the quiet spell like any idle worker.
   */
  warm(): void {
    if (this.worker) return
    this.whenIdle(this.running())
  }

  /**
   * Keeps a spare worker loaded (its modules and connection ready) so a job does not wait for
   * its start: one starts `delayMs` after this call and again after each worker that took a job
   * stops (idle, or dead). A spare worker that has taken no job is not stopped by the quiet
   * spell, so it is started once, not once a spell.
   */
  keepWarm(delayMs: number): void {
    this.warmDelayMs = delayMs
    this.startSpareLater()
  }

  /** Stops the worker (open jobs fail). A pending idle stop is left: it only stops this worker. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.warmTimer)
    await this.worker?.terminate()
  }

  private running(): Worker {
    if (this.worker) return this.worker
    const worker = startWorker(this.options)
    let failure: Error | undefined
    worker.on('message', (message: Out) => {
      const job = this.jobs.get(message.id)
      if (job?.worker === worker) job.onMessage(message)
    })
    worker.on('error', (err) => {
      failure = err
    })
    worker.on('exit', (code) => {
      // A worker stopped for idleness was forgotten when its stop began (see whenIdle).
      const current = this.worker === worker
      if (current) this.worker = null
      const err = new Error(`worker thread exited (code ${code})`, { cause: failure })
      for (const [id, job] of this.jobs) {
        if (job.worker !== worker) continue
        this.jobs.delete(id)
        job.onFailure(err)
      }
      // A spare that dies before any job (a database it cannot open) is not started again and
      // again: the next job starts a worker as it would without keepWarm. A worker stopped for
      // idleness had taken a job (an untouched spare is never stopped).
      if (!current || this.used) this.startSpareLater()
    })
    this.worker = worker
    this.used = false
    return worker
  }

  private startSpareLater() {
    if (this.warmDelayMs === null || this.closed || this.warmTimer) return
    this.warmTimer = setTimeout(() => {
      this.warmTimer = undefined
      this.warm()
    }, this.warmDelayMs)
    this.warmTimer.unref()
  }

  /** The worker has no open job: it no longer keeps the process alive, and stops after idleMs. */
  private whenIdle(worker: Worker) {
    if (this.jobs.size > 0) return
    worker.unref()
    if (this.options.idleMs === undefined || (this.warmDelayMs !== null && !this.used)) return
    this.idleTimer = setTimeout(() => {
      // Forgotten before it stops: a job opened while it is still exiting starts a fresh worker
      // instead of landing on this one and failing with it.
      if (this.worker === worker) this.worker = null
      void worker.terminate()
    }, this.options.idleMs)
    this.idleTimer.unref()
  }
}
