import type { Json } from '../resources/fixtures.js'

/**
 * Configuration for webhook tests that wait for deliveries: loopback targets allowed, a quick
 * poll and retry schedule. The timeout is generous: a slow answer on a loaded machine would be
 * retried, and these tests count deliveries exactly.
 */
export const FAST = {
  WEBHOOK_ALLOW_LOOPBACK: 'true',
  WEBHOOK_POLL_MS: '20',
  WEBHOOK_RETRY_BASE_MS: '200',
  WEBHOOK_RETRY_MAX_MS: '5000',
  WEBHOOK_TIMEOUT_MS: '20000',
}

/** A subscription as its create answers it (the only answer that shows the secret). */
export interface Created extends Json {
  id: string
  secret: string
  version: number
  url: string
}
