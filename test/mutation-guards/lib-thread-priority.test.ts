import { readFileSync, readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { describe, expect, it } from 'vitest'
import { lowerThisThreadPriority, threadIdOf } from '../../src/lib/thread-priority.js'

/**
 * src/lib/thread-priority.ts called on the thread that runs the test (the process's main thread,
 * or the worker thread a runner uses), read back from /proc. The nice value is put back after.
 */

const thisThread = () => Number(readlinkSync('/proc/thread-self').split('/').at(-1))

function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
}

describe.runIf(process.platform === 'linux')('lowerThisThreadPriority', () => {
  it('sets the calling thread to the nice value and returns its thread id', () => {
    const tid = thisThread()
    const before = niceOf(tid)
    try {
      expect(lowerThisThreadPriority(before + 1)).toBe(tid)
      expect(niceOf(tid)).toBe(before + 1)
    } finally {
      // Raising the priority back needs privileges; without them the test process keeps it.
      try {
        setPriority(tid, before)
      } catch {}
    }
  })

  it('returns null and changes nothing when the priority cannot be set', () => {
    const tid = thisThread()
    const before = niceOf(tid)
    expect(lowerThisThreadPriority(100)).toBeNull()
    expect(niceOf(tid)).toBe(before)
  })
})

describe('threadIdOf', () => {
  it('reads the positive whole number a /proc/thread-self link ends in', () => {
    expect(threadIdOf('4242/task/4250')).toBe(4250)
    expect(threadIdOf('7/task/1')).toBe(1)
    expect(threadIdOf('17')).toBe(17)
  })

  it('throws for anything else', () => {
    for (const link of [
      '',
      '7/task/0',
      '7/task/-3',
      '7/task/1.5',
      '7/task/x',
      '7/task/9007199254740993',
      '7/task/',
    ])
      expect(() => threadIdOf(link), link).toThrow(new Error(`Not a thread id: ${link}`))
  })
})
