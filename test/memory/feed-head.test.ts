import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import {
  expectProblem,
  getJson,
  type Headers,
  maxSeq,
  readFeed,
  type TestApp,
  write,
  writer,
} from './support.js'

/** A partner can start mirroring from now, and every feed entry says which version it made. */
let t: TestApp
let w: Headers
beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('head-writer')
  await write(t, 'POST', '/v1/contacts', w, { familyName: 'Before The Partner' })
})
afterAll(() => t.close())

describe('after=latest', () => {
  it('answers no items and the head, from which the next write is exactly the next page', async () => {
    const head = await getJson(t, '/v1/changes?after=latest')
    expect(head).toEqual({ items: [], nextAfter: maxSeq(t) })
    const created = await write(t, 'POST', '/v1/contacts', w, { familyName: 'After The Partner' })
    const next = await getJson(t, `/v1/changes?after=${head.nextAfter}`)
    expect(next.items.map((r: { entityId: string; action: string }) => [r.entityId, r.action])).toEqual([
      [created.id, 'create'],
    ])
    expect(next.nextAfter).toBe(head.nextAfter + 1)
  })

  it.each(['Latest', 'latest1', '-1', '1.5', 'now'])('after=%s is 400 naming query.after', async (after) => {
    expectProblem(
      await t.app.inject({ method: 'GET', url: `/v1/changes?after=${after}` }),
      400,
      'query.after',
    )
  })
})

describe("entries carry the record's version", () => {
  it('create 1, each update one more, the tombstone one more; history says the same', async () => {
    const c = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Versioned' })
    const from = maxSeq(t) - 1
    await write(t, 'PATCH', `/v1/contacts/${c.id}`, w, { givenName: 'A' })
    await write(t, 'PATCH', `/v1/contacts/${c.id}`, w, { givenName: 'B' })
    await write(t, 'DELETE', `/v1/contacts/${c.id}`, w)
    const mine = (await readFeed(t, {}, 1000, from)).filter((r) => r.entityId === c.id)
    expect(mine.map((r) => [r.action, (r as unknown as { version: number }).version])).toEqual([
      ['create', 1],
      ['update', 2],
      ['update', 3],
      ['delete', 4],
    ])
    const history = await getJson(t, `/v1/contacts/${c.id}/history`)
    expect(history.items.map((r: { version: number }) => r.version)).toEqual([4, 3, 2, 1])
  })

  it('the migration gives earlier revisions the version their change made', () => {
    const client = t.db.$client
    const before = client.prepare('select seq, version from revisions order by seq').all()
    client.prepare('update revisions set version = 0').run()
    const sql = readFileSync(new URL('../../migrations/0004_revision_version.sql', import.meta.url), 'utf8')
    const backfill = sql.split('--> statement-breakpoint')[1] as string
    client.exec(backfill)
    expect(client.prepare('select seq, version from revisions order by seq').all()).toEqual(before)
  })
})
