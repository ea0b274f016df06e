/**
 * Deliveries yield to requests. The request thread publishes its load (event-loop utilization,
 * in thousandths, over the last LOAD_SAMPLE_MS) into shared memory; while it is at or above
 * BUSY_LOAD the delivery worker starts at most FLOOR_PER_SECOND deliveries a second (all
 * subscriptions together, first come first served), and as many as it can once the load drops.
 * The floor keeps a service that is busy for hours delivering, slowly.
 */

/** How often the request thread measures its event-loop utilization. */
export const LOAD_SAMPLE_MS = 100
/** Event-loop utilization (thousandths) from which the request thread counts as busy. */
export const BUSY_LOAD = 700
/** Deliveries started per second, across subscriptions, while the request thread is busy. */
export const FLOOR_PER_SECOND = 50
/** The gap between two deliveries started while the request thread is busy. */
export const FLOOR_GAP_MS = 1000 / FLOOR_PER_SECOND

/** Milliseconds to wait before the next delivery may start: 0 when the request thread is not busy. */
export function waitBeforeDelivery(load: number, lastPacedAt: number, nowMs: number): number {
  if (load < BUSY_LOAD) return 0
  return Math.max(0, lastPacedAt + FLOOR_GAP_MS - nowMs)
}

/**
 * The gate every delivery passes before it is sent. Waiting deliveries are let through one per
 * FLOOR_GAP_MS, in the order they arrived, while the load stays high, and all at once when it drops.
 */
export class Pace {
  /** Deliveries let through at once (the request thread not busy) and at the floor's pace. */
  readonly counts = { free: 0, paced: 0 }
  private readonly waiting: (() => void)[] = []
  private lastPacedAt = Number.NEGATIVE_INFINITY
  private timer: NodeJS.Timeout | undefined

  constructor(
    /** The request thread's load, in thousandths of event-loop utilization. */
    private readonly load: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the next delivery may start. */
  admit(): Promise<void> {
    if (this.waiting.length === 0 && this.pass()) return Promise.resolve()
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      this.arm()
    })
  }

  /** Lets every waiting delivery through (the loop is stopping: each one sees it and gives up). */
  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    for (const resolve of this.waiting.splice(0)) resolve()
  }

  /** Whether a delivery may start now; counts it if so. */
  private pass(): boolean {
    const load = this.load()
    const nowMs = this.now()
    if (waitBeforeDelivery(load, this.lastPacedAt, nowMs) > 0) return false
    if (load < BUSY_LOAD) {
      this.counts.free++
    } else {
      this.counts.paced++
      this.lastPacedAt = nowMs
    }
    return true
  }

  private arm(): void {
    if (this.timer) return
    const wait = waitBeforeDelivery(this.load(), this.lastPacedAt, this.now())
    // The load is looked at again at least once a gap, so a drop lets the queue go within one.
    this.timer = setTimeout(() => this.release(), Math.min(wait, FLOOR_GAP_MS))
    this.timer.unref()
  }

  private release(): void {
    this.timer = undefined
    while (this.waiting.length > 0 && this.pass()) this.waiting.shift()?.()
    if (this.waiting.length > 0) this.arm()
  }
}
