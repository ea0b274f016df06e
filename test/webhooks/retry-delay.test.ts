import { describe, expect, it } from 'vitest'
import { retryDelay } from '../../src/modules/webhooks/delivery.js'

describe('retry schedule', () => {
  it.each([
    // attempt, random, expected ms (base 1000, max 60000)
    [1, 0, 750],
    [1, 0.5, 875],
    [1, 0.999_999, 1000],
    [2, 0, 1500],
    [3, 0, 3000],
    [6, 0.999_999, 32_000],
    [7, 0, 45_000],
    [7, 0.999_999, 60_000],
    [1000, 0, 45_000],
  ])('attempt %i with jitter %f waits %i ms', (attempt, random, expected) => {
    expect(retryDelay(attempt, 1000, 60_000, random)).toBe(expected)
  })

  it('each attempt waits longer than any wait before it, below the cap', () => {
    for (let attempt = 1; attempt < 6; attempt++) {
      expect(retryDelay(attempt + 1, 1000, 60_000, 0)).toBeGreaterThan(
        retryDelay(attempt, 1000, 60_000, 0.999_999),
      )
    }
  })
})
