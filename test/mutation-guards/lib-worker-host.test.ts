import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { ProblemError } from '../../src/lib/problem.js'
import { fromWire, type Job, toWire, WorkerHost } from '../../src/lib/worker-host.js'

/**
 * src/lib/worker-host.ts: errors across the thread boundary, and a WorkerHost over a real echo
 * worker (test/fixtures/echo-worker.ts), each test with its own host.
 */

type In = { text: string }
type Out = { id: number; threadId: number; data: unknown; text: string }

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

async function until(check: () => boolean, ms = 8_000) {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await sleep(10)
  }
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

describe('WorkerHost', () => {
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
      await sleep(300)
      const c = collect(h)
      c.job.send({ text: 'd' })
      await until(() => c.messages.length === 1)
      expect(c.messages[0]?.threadId).not.toBe(a.messages[0]?.threadId)
      // A worker stopped for idleness fails no job: c was opened after.
      expect(c.failures).toEqual([])
      c.job.close()

      // warm: a worker now, reused by the next job; twice is once.
      await sleep(300)
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
    } finally {
      await h.close()
    }
  })

  it('a warmed worker nobody uses stops after idleMs; without idleMs it stays', async () => {
    const h = host(60)
    const keep = host()
    try {
      h.warm()
      const first = collect(h)
      first.job.send({ text: 'x' })
      await until(() => first.messages.length === 1)
      first.job.close()
      h.warm()
      await sleep(250)
      const next = collect(h)
      next.job.send({ text: 'y' })
      await until(() => next.messages.length === 1)
      expect(next.messages[0]?.threadId).not.toBe(first.messages[0]?.threadId)
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
      await h.close()
      await keep.close()
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
