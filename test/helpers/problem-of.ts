import { expect } from 'vitest'
import { ProblemError } from '../../src/lib/problem.js'

/** The ProblemError `fn` throws; fails the test when it throws anything else or nothing. */
export function problemOf(fn: () => unknown): ProblemError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError)
    return err as ProblemError
  }
  throw new Error('did not throw')
}
