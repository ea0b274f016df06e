import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { startWorker } from '../../src/lib/worker-host.js'

/** The nice value of one thread of this process, from /proc (field 19 of its stat line). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
}

describe.runIf(process.platform === 'linux')('lowerThisThreadPriority', () => {
  it('lowers the calling thread alone to the given nice value', async () => {
    const mainBefore = niceOf(process.pid)
    const worker = startWorker({
      entry: new URL('../fixtures/priority-worker.ts', import.meta.url),
      workerData: null,
      maxOldGenerationSizeMb: 32,
    })
    const [message] = (await once(worker, 'message')) as [{ tid: number | null }]
    try {
      expect(message.tid).toBeGreaterThan(0)
      expect(message.tid).not.toBe(process.pid)
      expect(niceOf(message.tid as number)).toBe(19)
      // The process's main thread keeps its priority.
      expect(niceOf(process.pid)).toBe(mainBefore)
    } finally {
      worker.postMessage('stop')
      await once(worker, 'exit')
    }
  })
})
