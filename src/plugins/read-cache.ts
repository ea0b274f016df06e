import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { LRUCache } from 'lru-cache'
import type { Db } from '../db/client.js'
import { shareDisclosed } from '../lib/access-log.js'
import { feedHead } from '../lib/feed-head.js'
import { today } from '../lib/tenure.js'
import { readsRestricted } from './auth.js'
import { readCacheLookups } from './metrics.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The answer depends only on the URL, the reader's visibility, the media type, the day and
     * the stored data: it carries an ETag from the change feed's head and is cached serialized.
     */
    feedCached?: boolean
  }
  interface FastifyRequest {
    feedTag: string | null
  }
}

interface Cached {
  /** The answer as sent (pages are serialized to bytes; see lib/serializer.ts). */
  body: Buffer
  headers: Record<string, string>
  /** The contacts whose restricted values the body carries, for the access log of each hit. */
  contacts: Set<string> | null
}

/** Headers a cached answer carries again; everything else is per request (x-request-id). */
const KEPT = ['content-type', 'link', 'content-disposition']

export interface ReadCacheOptions {
  db: Db
  /** Bytes of serialized pages to keep; 0 keeps none (ETags and 304s still work). */
  maxBytes: number
}

/**
 * Conditional and cached reads for lists, the directory, reports and the feed. Every write
 * appends a revision, so the feed's head names the data a page was read from: the ETag is the
 * head plus what else the answer depends on, and a write invalidates by moving the head.
 */
const readCache: FastifyPluginAsync<ReadCacheOptions> = async (app, { db, maxBytes }) => {
  const cache =
    maxBytes > 0
      ? new LRUCache<string, Cached>({ maxSize: maxBytes, sizeCalculation: (c) => c.body.length + 256 })
      : null
  app.decorateRequest('feedTag', null)

  // The media type is negotiated later; the Accept header decides it, so it is part of the tag.
  // Clients send the same few Accept values: each is encoded once.
  const media = new Map<string, string>()
  const mediaPart = (accept: string) => {
    let part = media.get(accept)
    // Stryker disable next-line ConditionalExpression: a memo; encoding again gives the same part
    if (part === undefined) {
      part = Buffer.from(accept).toString('base64url').slice(0, 48)
      // Stryker disable next-line all: which Accept values are remembered, and when they are forgotten, bounds memory only
      if (accept.length <= 256) {
        // Stryker disable next-line all: as above
        if (media.size >= 256) media.clear()
        media.set(accept, part)
      }
    }
    return part
  }

  const tagOf = (request: FastifyRequest, reply: FastifyReply) => {
    const visibility = readsRestricted(request.principal) ? 'r' : 'p'
    const media = mediaPart(request.headers.accept ?? '')
    reply.header('vary', 'Accept, Authorization')
    return `${feedHead(db)}.${today()}.${visibility}.${media}`
  }

  app.addHook('preHandler', async (request, reply) => {
    // HEAD is how a client checks freshness without the body: it carries the same tag as GET.
    if (!request.routeOptions.config.feedCached || (request.method !== 'GET' && request.method !== 'HEAD'))
      return
    const tag = tagOf(request, reply)
    request.feedTag = tag
    const etag = `W/"${tag}"`
    const given = request.headers['if-none-match']
    if (given?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
      readCacheLookups.inc({ result: 'not-modified' })
      reply.header('etag', etag)
      return reply.code(304).send()
    }
    const hit = cache?.get(`${tag} ${request.url}`)
    readCacheLookups.inc({ result: hit ? 'hit' : 'miss' })
    if (hit) {
      if (hit.contacts) shareDisclosed(request, hit.contacts)
      // Bytes with their content-type: Fastify sends them as they are, no serializer runs. The
      // onSend hook below adds the ETag, as for a miss.
      return reply.headers(hit.headers).send(hit.body)
    }
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const tag = request.feedTag
    if (tag === null || reply.statusCode !== 200) return payload
    reply.header('etag', `W/"${tag}"`)
    if (cache && request.method === 'GET' && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
      const key = `${tag} ${request.url}`
      // Stryker disable next-line ConditionalExpression: storing a hit's own bytes again changes nothing
      if (!cache.has(key)) {
        const headers: Record<string, string> = {}
        for (const name of KEPT) {
          const value = reply.getHeader(name)
          if (value !== undefined) headers[name] = String(value)
        }
        const contacts = request.disclosedContacts ? new Set(request.disclosedContacts) : null
        cache.set(key, {
          // Stryker disable next-line all: a string is sent the same; as bytes, its size counts bytes, not characters
          body: typeof payload === 'string' ? Buffer.from(payload) : payload,
          headers,
          contacts,
        })
      }
    }
    return payload
  })
}

export const readCachePlugin = fp(readCache, { name: 'read-cache', dependencies: ['auth'] })
