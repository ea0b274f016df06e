import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  BUSY_LOAD,
  FLOOR_GAP_MS,
  FLOOR_PER_SECOND,
  Pace,
  waitBeforeDelivery,
} from '../../src/modules/webhooks/delivery-pace.js'

describe('the pace of deliveries', () => {
  it('the floor: 50 deliveries a second while the request thread is busy (event loop 70 % in use or more)', () => {
    expect([BUSY_LOAD, FLOOR_PER_SECOND, FLOOR_GAP_MS]).toEqual([700, 50, 20])
  })

  it.each([
    // load (thousandths), last delivery let through at the floor's pace, now, expected wait
    [0, 1000, 1000, 0],
    [699, 1000, 1000, 0],
    [700, 1000, 1000, 20],
    [700, 1000, 1019, 1],
    [700, 1000, 1020, 0],
    [700, 1000, 5000, 0],
    [1000, 1000, 1005, 15],
    [1000, Number.NEGATIVE_INFINITY, 0, 0],
  ])('load %i, last paced at %f, now %i: waits %i ms', (load, last, now, expected) => {
    expect(waitBeforeDelivery(load, last, now)).toBe(expected)
  })
})

describe('the gate before each delivery', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Asks for `n` deliveries; `through` lists, in order, those let through so far. */
  function ask(pace: Pace, n: number): number[] {
    const through: number[] = []
    for (let i = 0; i < n; i++) void pace.admit().then(() => through.push(i))
    return through
  }

  it('while the request thread is busy: one delivery per gap, in order; all at once when it is not', async () => {
    let load = 950
    const pace = new Pace(() => load)
    const through = ask(pace, 5)
    await vi.advanceTimersByTimeAsync(0)
    expect(through).toEqual([0])
    expect(pace.counts).toEqual({ free: 0, paced: 1 })
    await vi.advanceTimersByTimeAsync(FLOOR_GAP_MS - 1)
    expect(through).toEqual([0])
    await vi.advanceTimersByTimeAsync(1)
    expect(through).toEqual([0, 1])
    await vi.advanceTimersByTimeAsync(FLOOR_GAP_MS)
    expect(through).toEqual([0, 1, 2])
    expect(pace.counts).toEqual({ free: 0, paced: 3 })
    // The load drops: the two still waiting go at the next look, and later ones do not wait.
    load = 100
    await vi.advanceTimersByTimeAsync(FLOOR_GAP_MS)
    expect(through).toEqual([0, 1, 2, 3, 4])
    expect(pace.counts).toEqual({ free: 2, paced: 3 })
    const more = ask(pace, 3)
    await vi.advanceTimersByTimeAsync(0)
    expect(more).toEqual([0, 1, 2])
    expect(pace.counts).toEqual({ free: 5, paced: 3 })
  })

  it('a second of a busy request thread lets exactly the floor through (no starvation)', async () => {
    const pace = new Pace(() => 1000)
    const through = ask(pace, 200)
    await vi.advanceTimersByTimeAsync(1000 - 1)
    expect(through).toHaveLength(FLOOR_PER_SECOND)
    expect(through).toEqual(Array.from({ length: FLOOR_PER_SECOND }, (_, i) => i))
    expect(pace.counts).toEqual({ free: 0, paced: FLOOR_PER_SECOND })
  })

  it('the load just under the threshold never waits; at it, a second delivery waits', async () => {
    let load = BUSY_LOAD - 1
    const pace = new Pace(() => load)
    expect(ask(pace, 1)).toEqual([])
    await vi.advanceTimersByTimeAsync(0)
    expect(pace.counts).toEqual({ free: 1, paced: 0 })
    load = BUSY_LOAD
    const through = ask(pace, 2)
    await vi.advanceTimersByTimeAsync(0)
    expect(through).toEqual([0])
    expect(pace.counts).toEqual({ free: 1, paced: 1 })
  })

  it('stopping lets every waiting delivery go (each then sees the loop stopped)', async () => {
    const pace = new Pace(() => 1000)
    const through = ask(pace, 4)
    await vi.advanceTimersByTimeAsync(0)
    expect(through).toEqual([0])
    pace.stop()
    await vi.advanceTimersByTimeAsync(0)
    expect(through).toEqual([0, 1, 2, 3])
    expect(vi.getTimerCount()).toBe(0)
  })
})
