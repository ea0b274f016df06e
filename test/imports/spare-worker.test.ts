import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { WorkerHost } from '../../src/lib/worker-host.js'

/**
 * A spare import worker (WorkerHost.keepWarm): loaded ahead of the first job, never stopped
 * while unused, replaced once a worker that took a job stops after its quiet spell.
 */

const dir = mkdtempSync(join(tmpdir(), 'pocdir-spare-worker-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let host: WorkerHost<Record<string, never>, { id: number; threadId: number }> | undefined
afterEach(async () => {
  await host?.close()
  host = undefined
})

let n = 0
/** A host over the fixture worker; `starts()` lists the thread ids of the workers it started. */
function spareHost(idleMs: number, suffix = '.log') {
  const log = join(dir, `starts-${++n}${suffix}`)
  host = new WorkerHost({
    entry: new URL('../fixtures/spare-worker.js', import.meta.url),
    workerData: log,
    maxOldGenerationSizeMb: 32,
    idleMs,
  })
  const starts = () =>
    existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) : []
  return { host, starts }
}

const jobOn = (h: NonNullable<typeof host>) =>
  new Promise<number>((resolve, reject) => {
    const job = h.open((reply) => {
      job.close()
      resolve(reply.threadId)
    }, reject)
    job.send({})
  })

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('WorkerHost.keepWarm', () => {
  it('starts a worker before any job, and the first job runs on it', async () => {
    const { host, starts } = spareHost(60_000)
    host.keepWarm(10)
    await vi.waitFor(() => expect(starts()).toHaveLength(1), { timeout: 15_000 })
    const [spare] = starts()
    expect(await jobOn(host)).toBe(spare)
    expect(starts()).toEqual([spare])
  })

  it('an unused spare outlives the quiet spell; a used worker stops after it and a fresh spare starts', async () => {
    const { host, starts } = spareHost(100)
    host.keepWarm(10)
    await vi.waitFor(() => expect(starts()).toHaveLength(1), { timeout: 15_000 })
    const [spare] = starts()
    await pause(500)
    expect(starts()).toEqual([spare])
    expect(await jobOn(host)).toBe(spare)
    await vi.waitFor(() => expect(starts()).toHaveLength(2), { timeout: 15_000 })
    const fresh = starts()[1]
    expect(fresh).not.toBe(spare)
    expect(await jobOn(host)).toBe(fresh)
  })

  it('without keepWarm no worker starts before a job', async () => {
    const { host, starts } = spareHost(60_000)
    await pause(300)
    expect(starts()).toEqual([])
    const thread = await jobOn(host)
    expect(starts()).toEqual([thread])
  })

  it('a spare that dies before any job is not started again', async () => {
    const { host, starts } = spareHost(60_000, '.dies')
    host.keepWarm(10)
    await vi.waitFor(() => expect(starts()).toHaveLength(1), { timeout: 15_000 })
    await pause(1_000)
    expect(starts()).toHaveLength(1)
  })

  it('close cancels a spare not yet started', async () => {
    const { host, starts } = spareHost(60_000)
    host.keepWarm(100)
    await host.close()
    await pause(400)
    expect(starts()).toEqual([])
  })
})
