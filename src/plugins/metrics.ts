import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { Counter, Histogram } from 'prom-client'
import type { Db } from '../db/client.js'

type CacheResult = 'hit' | 'miss' | 'not-modified'

/**
 * The process-wide metrics (every app's registry exposes them), made by the first app that
 * serves /metrics: prom-client, fastify-metrics and what they load (about 90 files) are loaded
 * only with METRICS=admin, not at every start-up (a measured bar). Until then nothing reads
 * them, so observations are dropped.
 */
let shared: {
  jobDuration: Histogram<'kind' | 'outcome'>
  readCacheLookups: Counter<'result'>
  webhookWriteTurns: Histogram
} | null = null

/** Conditional and cached reads (src/plugins/read-cache.ts): hits, misses and 304s. */
export const readCacheLookups = {
  inc(labels: { result: CacheResult }): void {
    shared?.readCacheLookups.inc(labels)
  },
}

/** Durations of imports and exports: call `observeJob('import', seconds, 'ok')` when one finishes. */
export function observeJob(
  kind: 'import' | 'export',
  seconds: number,
  outcome: 'ok' | 'failed' = 'ok',
): void {
  shared?.jobDuration.observe({ kind, outcome }, seconds)
}

/**
 * A write transaction for the webhook delivery worker (its positions, retry state and disables,
 * committed by the request thread) held the service's write turn for `seconds`: request writes
 * wait meanwhile, so how often and how long is what deliveries cost writes. (The delivery log
 * is written by the worker in a file of its own, delivery-log.ts.)
 */
export function observeWebhookWriteTurn(seconds: number): void {
  shared?.webhookWriteTurns.observe(seconds)
}

export interface MetricsOptions {
  db: Db
}

/**
 * Prometheus text at GET /metrics for a directory:admin token (METRICS=admin): request rates
 * and latencies by method, route and status (fastify-metrics), Node's process metrics, import
 * and export durations, the page cache's hits and misses, the write transactions for the
 * webhook delivery worker, and the change feed's head. Each app has its own registry.
 */
const metrics: FastifyPluginAsync<MetricsOptions> = async (app, { db }) => {
  const [{ default: promClient }, { default: metricsModule }] = await Promise.all([
    import('prom-client'),
    import('fastify-metrics'),
  ])
  const { Counter, Gauge, Histogram, Registry } = promClient
  // A CommonJS module with an ES default export: under NodeNext the function is its .default.
  const fastifyMetrics = metricsModule.default
  shared ??= {
    jobDuration: new Histogram({
      name: 'pocdir_job_duration_seconds',
      help: 'Duration of imports and exports',
      labelNames: ['kind', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [],
    }),
    readCacheLookups: new Counter({
      name: 'pocdir_read_cache_lookups_total',
      help: 'Reads of lists, the directory, reports, history and the feed, by how the page cache answered',
      labelNames: ['result'] as const,
      registers: [],
    }),
    webhookWriteTurns: new Histogram({
      name: 'pocdir_webhook_write_turn_seconds',
      help: 'Write transactions for the webhook delivery worker (positions, retry state, disables): how many, and how long each held the write turn',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [],
    }),
  }
  const registry = new Registry()
  registry.registerMetric(shared.jobDuration)
  registry.registerMetric(shared.readCacheLookups)
  registry.registerMetric(shared.webhookWriteTurns)
  const head = db.$client.prepare('select coalesce(max(seq), 0) as seq from revisions').pluck()
  new Gauge({
    name: 'pocdir_feed_head_seq',
    help: 'The newest revision sequence number (the change feed head)',
    registers: [registry],
    collect() {
      this.set(head.get() as number)
    },
  })
  await app.register(fastifyMetrics, {
    endpoint: {
      url: '/metrics',
      method: 'GET',
      logLevel: 'warn',
      exposeHeadRoute: false,
      schema: { hide: true },
      config: { scope: 'directory:admin', rateLimit: false },
    } as never,
    promClient,
    defaultMetrics: { enabled: true, register: registry, prefix: 'pocdir_' },
    routeMetrics: {
      enabled: true,
      routeBlacklist: ['/metrics'],
      overrides: {
        histogram: { name: 'pocdir_http_request_duration_seconds', registers: [registry] },
        summary: { name: 'pocdir_http_request_summary_seconds', registers: [registry] },
      },
    },
  })
}

export const metricsPlugin = fp(metrics, { name: 'metrics', dependencies: ['auth'] })
