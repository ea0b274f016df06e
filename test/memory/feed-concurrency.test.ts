import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import { type Headers, maxSeq, type Revision, sleep, type TestApp, writer } from './support.js'

/**
 * A partner pages the feed over real HTTP while writers are busy: it must never skip or
 * repeat a seq, and once the writers stop its catch-up ends at the newest revision.
 */
let t: TestApp
let base: string
let w: Headers
beforeAll(async () => {
  t = await buildTestApp()
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
  base = address.replace('localhost', '127.0.0.1')
  w = await writer('busy-writer')
})
afterAll(() => t.close())

interface FeedPage {
  items: Revision[]
  nextAfter: number
}

async function fetchPage(after: number, limit: number): Promise<FeedPage> {
  const res = await fetch(`${base}/v1/changes?after=${after}&limit=${limit}`)
  expect(res.status).toBe(200)
  return (await res.json()) as FeedPage
}

describe('change feed under concurrent writes', () => {
  it('a reader paging with after sees every seq exactly once, gapless, while 100 contacts are created', async () => {
    const startSeq = maxSeq(t)
    let writing = true
    const created: string[] = []

    const writers = (async () => {
      try {
        for (let batch = 0; batch < 10; batch++) {
          const results = await Promise.all(
            Array.from({ length: 10 }, async (_, i) => {
              const res = await fetch(`${base}/v1/contacts`, {
                method: 'POST',
                headers: { ...w, 'content-type': 'application/json' },
                body: JSON.stringify({ givenName: `Batch${batch}`, familyName: `Writer ${i}` }),
              })
              expect(res.status).toBe(201)
              return ((await res.json()) as { id: string }).id
            }),
          )
          created.push(...results)
        }
      } finally {
        writing = false
      }
    })()

    const seen: number[] = []
    const seenIds = new Set<string>()
    let after = 0
    let pagesWhileWriting = 0
    const readPage = async (limit: number) => {
      const page = await fetchPage(after, limit)
      for (const r of page.items) {
        expect(r.seq, `seq after ${after}`).toBe((seen[seen.length - 1] ?? 0) + 1)
        seen.push(r.seq)
        if (r.entity === 'contact' && r.action === 'create') seenIds.add(r.entityId)
      }
      expect(page.nextAfter).toBe(page.items.length ? page.items[page.items.length - 1]?.seq : after)
      after = page.nextAfter
      return page
    }
    const reader = (async () => {
      while (writing) {
        await readPage(7)
        pagesWhileWriting++
        await sleep(1)
      }
    })()

    await Promise.all([writers, reader])
    // Final catch-up after the writers stopped.
    for (;;) {
      const page = await readPage(50)
      if (page.items.length === 0) break
    }

    expect(created).toHaveLength(100)
    expect(maxSeq(t)).toBe(startSeq + 100)
    expect(seen[seen.length - 1]).toBe(maxSeq(t))
    expect(seen).toHaveLength(maxSeq(t))
    expect(new Set(seen).size).toBe(seen.length)
    expect(pagesWhileWriting).toBeGreaterThan(0)
    for (const id of created) expect(seenIds.has(id), id).toBe(true)
  })
})
