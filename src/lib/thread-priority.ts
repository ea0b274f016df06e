import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'

/**
 * Lowers the calling thread's CPU priority (raises its nice value) so the kernel serves the
 * request thread first whenever both want a core. Linux only: a thread's id is the last part of
 * /proc/thread-self, and setpriority on a thread id changes that thread alone. Returns the
 * thread id, or null where this is not possible (then the thread keeps the process's priority).
 */
export function lowerThisThreadPriority(nice: number): number | null {
  try {
    const tid = threadIdOf(readlinkSync('/proc/thread-self'))
    setPriority(tid, nice)
    return tid
  } catch {
    return null
  }
}

/**
 * The thread id a /proc/thread-self link (`<pid>/task/<tid>`) ends in; throws for anything else
 * (setpriority on 0 would change the whole process).
 */
export function threadIdOf(link: string): number {
  const tid = Number(link.split('/').at(-1))
  if (!Number.isSafeInteger(tid) || tid <= 0) throw new Error(`Not a thread id: ${link}`)
  return tid
}
