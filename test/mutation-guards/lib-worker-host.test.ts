import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { ProblemError } from '../../src/lib/problem.js'
import { fromWire, type Job, toWire, WorkerHost } from '../../src/lib/worker-host.js'

/**
 * src/lib/worker-host.ts: errors across the thread boundary, and a WorkerHost over a real echo
 * worker (test/fixtures/echo-worker.ts), each test with its own host.
 */

type In = { text: string }
type Out = { id: number; threadId: number; data: unknown; execArgv: string[]; heapMb: number; text: string }

const entry = new URL('../fixtures/echo-worker.ts', import.meta.url)

function host(idleMs?: number) {
  return new WorkerHost<In, Out>({
    entry,
    workerData: { tag: 'w' },
    maxOldGenerationSizeMb: 64,
    ...(idleMs === undefined ? {} : { idleMs }),
  })
}

/** Opens a job that collects its messages and its failure. */
function collect(h: WorkerHost<In, Out>) {
  const messages: Out[] = []
  const failures: Error[] = []
  const job: Job<In> = h.open(
    (m) => messages.push(m),
    (e) => failures.push(e),
  )
  return { job, messages, failures }
}

async function until(check: () => boolean, ms = 15_000) {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await sleep(10)
  }
}

/** How many of the process's active resources (those keeping it alive) are of this kind. */
const active = (kind: 'MessagePort' | 'Timeout') =>
  process.getActiveResourcesInfo().filter((r) => r === kind).length

/** The worker threads this process starts from now on, and which of them have exited. */
function watchWorkers() {
  // Thread ids, read at the start (a worker's threadId is -1 once it has exited).
  const started: number[] = []
  const exited = new Set<number>()
  const onWorker = (w: Worker) => {
    const id = w.threadId
    started.push(id)
    w.once('exit', () => exited.add(id))
  }
  process.on('worker', onWorker)
  return { started, exited, stop: () => process.off('worker', onWorker) }
}

describe('toWire and fromWire', () => {
  it('carry a ProblemError whole, with its headers', () => {
    const err = new ProblemError(429, 'Slow down', {
      type: 'urn:x:too-many',
      title: 'Too Many',
      errors: [{ path: 'a', message: 'b' }],
      headers: { 'retry-after': '5' },
    })
    const wire = toWire(err)
    expect(wire).toEqual({
      problem: {
        type: 'urn:x:too-many',
        title: 'Too Many',
        status: 429,
        detail: 'Slow down',
        errors: [{ path: 'a', message: 'b' }],
      },
      headers: { 'retry-after': '5' },
    })
    const back = fromWire(JSON.parse(JSON.stringify(wire)))
    expect(back).toBeInstanceOf(ProblemError)
    expect((back as ProblemError).toBody()).toEqual(err.toBody())
    expect((back as ProblemError).headers).toEqual({ 'retry-after': '5' })
  })

  it('carry any other error as its stack (or message), anything else as text', () => {
    const err = new TypeError('bad thing')
    expect(toWire(err)).toEqual({ message: err.stack })
    const noStack = new Error('no stack')
    noStack.stack = undefined
    expect(toWire(noStack)).toEqual({ message: 'no stack' })
    expect(toWire('plain')).toEqual({ message: 'plain' })
    expect(toWire(42)).toEqual({ message: '42' })
    const back = fromWire({ message: 'it broke' })
    expect(back).not.toBeInstanceOf(ProblemError)
    expect(back).toBeInstanceOf(Error)
    expect(back.message).toBe('worker job failed: it broke')
  })
})

// Worker threads start slowly on a loaded machine: these tests get a minute.
describe('WorkerHost', { timeout: 60_000 }, () => {
  it('routes each job its own answers on one worker; a closed job hears and sends nothing', async () => {
    const h = host()
    try {
      const a = collect(h)
      const b = collect(h)
      expect(a.job.id).toBe(1)
      expect(b.job.id).toBe(2)
      a.job.send({ text: 'one' })
      b.job.send({ text: 'two' })
      await until(() => a.messages.length === 1 && b.messages.length === 1)
      expect(a.messages[0]).toMatchObject({ id: 1, data: { tag: 'w' }, text: 'ONE' })
      expect(b.messages[0]).toMatchObject({ id: 2, data: { tag: 'w' }, text: 'TWO' })
      expect(a.messages[0]?.threadId).toBe(b.messages[0]?.threadId)
      // Started with the host's heap limit and none of this process's flags (vitest's loaders).
      expect(a.messages[0]).toMatchObject({ execArgv: [], heapMb: 64 })
      a.job.close()
      a.job.close()
      a.job.send({ text: 'late' })
      b.job.send({ text: 'three' })
      await until(() => b.messages.length === 2)
      await sleep(50)
      expect(a.messages.length).toBe(1)
      expect(b.messages[1]).toMatchObject({ id: 2, text: 'THREE' })
      // A job closed before its answer arrives: the answer is dropped, in order before b's next.
      const c = collect(h)
      c.job.send({ text: 'gone' })
      c.job.close()
      b.job.send({ text: 'four' })
      await until(() => b.messages.length === 3)
      expect(c.messages).toEqual([])
      expect(c.failures).toEqual([])
    } finally {
      await h.close()
    }
  })

  it('fails every open job when the worker dies, then starts a fresh one', async () => {
    const h = host()
    try {
      const a = collect(h)
      const b = collect(h)
      a.job.send({ text: 'x' })
      await until(() => a.messages.length === 1)
      const firstThread = a.messages[0]?.threadId
      a.job.send({ text: 'crash' })
      await until(() => a.failures.length === 1 && b.failures.length === 1)
      expect(a.failures[0]?.message).toBe('worker thread exited (code 3)')
      expect(a.failures[0]?.cause).toBeUndefined()
      expect(b.failures[0]).toBe(a.failures[0])
      const c = collect(h)
      expect(c.job.id).toBe(3)
      c.job.send({ text: 'again' })
      await until(() => c.messages.length === 1)
      expect(c.messages[0]?.text).toBe('AGAIN')
      expect(c.messages[0]?.threadId).not.toBe(firstThread)

      c.job.send({ text: 'throw' })
      await until(() => c.failures.length === 1)
      expect(c.failures[0]?.message).toBe('worker thread exited (code 1)')
      expect(c.failures[0]?.cause).toEqual(expect.objectContaining({ message: 'boom in the worker' }))
      expect(a.failures.length).toBe(1)
    } finally {
      await h.close()
    }
  })

  it('stops an idle worker after idleMs, not while a job is open; warm starts one ahead', async () => {
    const h = host(80)
    const workers = watchWorkers()
    try {
      const a = collect(h)
      a.job.send({ text: 'a' })
      await until(() => a.messages.length === 1)
      await sleep(200)
      // Open all along: the same worker answers.
      a.job.send({ text: 'b' })
      await until(() => a.messages.length === 2)
      expect(a.messages[1]?.threadId).toBe(a.messages[0]?.threadId)
      a.job.close()
      const b = collect(h)
      b.job.send({ text: 'c' })
      await until(() => b.messages.length === 1)
      // Closed and reopened within the quiet spell: still the same worker.
      expect(b.messages[0]?.threadId).toBe(a.messages[0]?.threadId)
      b.job.close()
      await until(() => workers.exited.has(a.messages[0]?.threadId ?? -1))
      const c = collect(h)
      c.job.send({ text: 'd' })
      await until(() => c.messages.length === 1)
      expect(c.messages[0]?.threadId).not.toBe(a.messages[0]?.threadId)
      // A worker stopped for idleness fails no job: c was opened after.
      expect(c.failures).toEqual([])
      c.job.close()

      // warm: a worker now, reused by the next job; twice is once.
      await until(() => workers.exited.has(c.messages[0]?.threadId ?? -1))
      h.warm()
      h.warm()
      const d = collect(h)
      d.job.send({ text: 'e' })
      await until(() => d.messages.length === 1)
      d.job.close()
      h.warm()
      const e = collect(h)
      e.job.send({ text: 'f' })
      await until(() => e.messages.length === 1)
      expect(e.messages[0]?.threadId).toBe(d.messages[0]?.threadId)
      e.job.close()
      expect(workers.started).toEqual([
        a.messages[0]?.threadId,
        c.messages[0]?.threadId,
        d.messages[0]?.threadId,
      ])
    } finally {
      workers.stop()
      await h.close()
    }
  })

  it('a job opened while an idle worker is still exiting runs on a fresh worker and fails with neither', async () => {
    const idleMs = 80
    const h = host(idleMs)
    const workers = watchWorkers()
    try {
      const a = collect(h)
      a.job.send({ text: 'a' })
      await until(() => a.messages.length === 1)
      const first = a.messages[0]?.threadId ?? -1
      a.job.close()
      // Timers of one duration fire in the order they were set: this one runs right after the
      // idle stop's, once terminate() has been called and before the worker's exit can be heard.
      const b = await new Promise<ReturnType<typeof collect>>((resolve) =>
        setTimeout(() => {
          expect(workers.exited.has(first)).toBe(false)
          resolve(collect(h))
        }, idleMs),
      )
      b.job.send({ text: 'b' })
      await until(() => b.messages.length === 1 || b.failures.length > 0)
      expect(b.failures).toEqual([])
      expect(b.messages.map((m) => m.text)).toEqual(['B'])
      expect(b.messages[0]?.threadId).not.toBe(first)
      await until(() => workers.exited.has(first))
      // The old worker's exit fails nothing and leaves the new one in place.
      b.job.send({ text: 'c' })
      await until(() => b.messages.length === 2)
      expect(b.failures).toEqual([])
      expect(b.messages[1]?.threadId).toBe(b.messages[0]?.threadId)
      b.job.close()
      expect(workers.started).toEqual([first, b.messages[0]?.threadId])
    } finally {
      workers.stop()
      await h.close()
    }
  })

  it('a warmed worker nobody uses stops after idleMs; without idleMs it stays', async () => {
    const h = host(60)
    const keep = host()
    const workers = watchWorkers()
    try {
      h.warm()
      await until(() => workers.started.length === 1)
      const warmed = workers.started[0] ?? -1
      await until(() => workers.exited.has(warmed))
      const first = collect(h)
      first.job.send({ text: 'x' })
      await until(() => first.messages.length === 1)
      const firstThread = first.messages[0]?.threadId ?? -1
      first.job.close()
      h.warm()
      await until(() => workers.exited.has(firstThread))
      const next = collect(h)
      next.job.send({ text: 'y' })
      await until(() => next.messages.length === 1)
      expect(workers.started).toEqual([warmed, firstThread, next.messages[0]?.threadId])
      expect(first.failures).toEqual([])
      next.job.close()

      const k1 = collect(keep)
      k1.job.send({ text: 'x' })
      await until(() => k1.messages.length === 1)
      k1.job.close()
      await sleep(150)
      const k2 = collect(keep)
      k2.job.send({ text: 'y' })
      await until(() => k2.messages.length === 1)
      expect(k2.messages[0]?.threadId).toBe(k1.messages[0]?.threadId)
      k2.job.close()
    } finally {
      workers.stop()
      await h.close()
      await keep.close()
    }
  })

  it("a closed job's send never reaches the worker", async () => {
    const h = host()
    try {
      const a = collect(h)
      const b = collect(h)
      a.job.close()
      // Were it posted, `crash` would end the thread before b's message is answered.
      a.job.send({ text: 'crash' })
      b.job.send({ text: 'still here' })
      await until(() => b.messages.length + b.failures.length === 1)
      expect(b.failures).toEqual([])
      expect(b.messages[0]).toMatchObject({ id: 2, text: 'STILL HERE' })
    } finally {
      await h.close()
    }
  })

  it('a job opened in the quiet spell cancels the stop (warm does not restart it); a job closing beside an open one starts none', async () => {
    const h = host(150)
    const workers = watchWorkers()
    try {
      const a = collect(h)
      a.job.send({ text: 'a' })
      await until(() => a.messages.length === 1)
      const thread = a.messages[0]?.threadId
      a.job.close()
      // The stop is pending; warm on a running worker changes nothing, and b cancels the stop.
      h.warm()
      const b = collect(h)
      await sleep(450)
      b.job.send({ text: 'b' })
      await until(() => b.messages.length + b.failures.length === 1)
      expect(b.failures).toEqual([])
      expect(b.messages[0]).toMatchObject({ threadId: thread, text: 'B' })
      // c closes while b is open: no stop follows.
      const c = collect(h)
      c.job.close()
      await sleep(450)
      b.job.send({ text: 'b2' })
      await until(() => b.messages.length + b.failures.length === 2)
      expect(b.failures).toEqual([])
      expect(b.messages[1]).toMatchObject({ threadId: thread, text: 'B2' })
      expect(workers.exited.size).toBe(0)
      // The last job closes: the worker stops after the quiet spell, failing nothing.
      b.job.close()
      await until(() => workers.exited.has(thread ?? -1))
      expect(workers.started).toEqual([thread])
      expect([a.failures, b.failures, c.failures]).toEqual([[], [], []])
    } finally {
      workers.stop()
      await h.close()
    }
  })

  it('a worker keeps the process alive only while a job is open; the idle and spare timers never do', async () => {
    const h = host(60_000)
    try {
      const ports = active('MessagePort')
      const a = collect(h)
      expect(active('MessagePort')).toBe(ports + 1)
      a.job.send({ text: 'x' })
      await until(() => a.messages.length === 1)
      // Counted around each step, with nothing awaited in between.
      let before = [active('MessagePort'), active('Timeout')]
      a.job.close()
      expect([active('MessagePort'), active('Timeout')]).toEqual([(before[0] ?? 0) - 1, before[1]])
      before = [active('MessagePort'), active('Timeout')]
      const b = collect(h)
      expect([active('MessagePort'), active('Timeout')]).toEqual([(before[0] ?? 0) + 1, before[1]])
      b.job.close()
      expect(active('MessagePort')).toBe(before[0])
      await h.close()

      // warm: a worker that keeps nothing alive, nor does its idle timer.
      const w = host(60_000)
      try {
        before = [active('MessagePort'), active('Timeout')]
        w.warm()
        expect([active('MessagePort'), active('Timeout')]).toEqual(before)
        w.keepWarm(60_000)
        expect([active('MessagePort'), active('Timeout')]).toEqual(before)
      } finally {
        await w.close()
      }
    } finally {
      await h.close()
    }
  })

  it('close stops the worker: an open job fails', async () => {
    const h = host(10_000)
    const a = collect(h)
    a.job.send({ text: 'x' })
    await until(() => a.messages.length === 1)
    await h.close()
    await until(() => a.failures.length === 1)
    expect(a.failures[0]?.message).toBe('worker thread exited (code 1)')
    await h.close()
  })
})

describe('WorkerHost.keepWarm', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pocdir-worker-host-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  let n = 0
  /** A host over test/fixtures/spare-worker.ts; `starts()` lists the thread ids it started. */
  function spareHost(idleMs: number, suffix = '.log') {
    const log = join(dir, `starts-${++n}${suffix}`)
    const h = new WorkerHost<Record<string, never>, { id: number; threadId: number }>({
      entry: new URL('../fixtures/spare-worker.js', import.meta.url),
      workerData: log,
      maxOldGenerationSizeMb: 32,
      idleMs,
    })
    const starts = () =>
      existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) : []
    return { h, starts }
  }
  const jobOn = (h: ReturnType<typeof spareHost>['h']) =>
    new Promise<number>((resolve, reject) => {
      const job = h.open((reply) => {
        job.close()
        resolve(reply.threadId)
      }, reject)
      job.send({})
    })

  it('a spare starts only after the delay, and the first job runs on it', async () => {
    const { h, starts } = spareHost(60_000)
    const workers = watchWorkers()
    try {
      h.keepWarm(600)
      await sleep(200)
      expect(workers.started).toEqual([])
      await until(() => starts().length === 1)
      const [spare] = starts()
      expect(await jobOn(h)).toBe(spare)
      expect(workers.started).toEqual([spare])
    } finally {
      workers.stop()
      await h.close()
    }
  })

  it('an unused spare is never stopped; a used worker stops after idleMs and a fresh spare follows', async () => {
    const { h, starts } = spareHost(100)
    const workers = watchWorkers()
    try {
      h.keepWarm(10)
      await until(() => starts().length === 1)
      const [spare] = starts()
      await sleep(500)
      expect(workers.exited.size).toBe(0)
      expect(await jobOn(h)).toBe(spare)
      await until(() => starts().length === 2)
      expect(workers.exited).toEqual(new Set([spare]))
      const fresh = starts()[1]
      expect(fresh).not.toBe(spare)
      // The fresh spare, unused, outlives the quiet spell too.
      await sleep(500)
      expect(workers.exited).toEqual(new Set([spare]))
      expect(await jobOn(h)).toBe(fresh)
    } finally {
      workers.stop()
      await h.close()
    }
  })

  it('without keepWarm a worker that stops is not replaced until the next job', async () => {
    const { h, starts } = spareHost(50)
    const workers = watchWorkers()
    try {
      const first = await jobOn(h)
      await until(() => workers.exited.has(first))
      // Counted as they are created (process 'worker'), not as they get to log their start.
      await sleep(300)
      expect(workers.started).toEqual([first])
      const second = await jobOn(h)
      expect(workers.started).toEqual([first, second])
      expect(starts()).toEqual([first, second])
    } finally {
      workers.stop()
      await h.close()
    }
  })

  it('a spare that dies before any job is not started again; the next job starts one', async () => {
    const { h, starts } = spareHost(60_000, '.dies')
    const workers = watchWorkers()
    try {
      h.keepWarm(10)
      await until(() => workers.exited.size === 1)
      await sleep(300)
      expect(workers.started).toHaveLength(1)
      expect(starts()).toEqual(workers.started)
      // The next job's worker dies too (the fixture's `.dies`): the job fails with its exit code.
      await expect(jobOn(h)).rejects.toThrow('worker thread exited (code 1)')
      // Used when it died: a spare follows after the delay.
      await until(() => workers.started.length === 3)
    } finally {
      workers.stop()
      await h.close()
    }
  })

  it('close: no spare after it, even one asked for twice or due after a used worker', async () => {
    const workers = watchWorkers()
    try {
      const twice = spareHost(60_000)
      twice.h.keepWarm(100)
      twice.h.keepWarm(100)
      await twice.h.close()
      const used = spareHost(60_000)
      used.h.keepWarm(10)
      await until(() => workers.started.length === 1)
      const spare = await jobOn(used.h)
      await used.h.close()
      // The used worker's exit came with close; a spare would be created 10 ms after it.
      await sleep(400)
      expect(workers.started).toEqual([spare])
      expect(twice.starts()).toEqual([])
      expect(used.starts()).toEqual([spare])
    } finally {
      workers.stop()
    }
  })
})
