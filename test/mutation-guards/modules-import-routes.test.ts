import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { expectGeneratedAsCommitted } from '../helpers/contract-part.js'

/**
 * The import route and its runner (src/modules/imports/imports-routes.ts, import-runner.ts),
 * each test on an app of its own: the media types it takes, the options it hands the service
 * (dry run, the token's states, whether it reads restricted values, who writes), the deployment's
 * bounds in the contract it serves, the worker over a file database (when it starts and stops),
 * and the job durations.
 */

type App = Awaited<ReturnType<typeof buildTestApp>>
const withApp = async (env: Record<string, string>, f: (t: App) => Promise<void>) => {
  const t = await buildTestApp(env)
  try {
    await f(t)
  } finally {
    await t.close()
  }
}
const post = async (t: App, body: string, type: string, headers: Record<string, string>, query = '') =>
  t.app.inject({
    method: 'POST',
    url: `/v1/imports${query}`,
    headers: { ...headers, 'content-type': type },
    payload: body,
  })
const importer = (claims: Record<string, unknown> = {}) =>
  bearer('directory:import directory:read', { sub: 'importer-ines', ...claims })
const counts = (
  contacts: [number, number, number],
  dryRun = false,
  orgs = [0, 0, 0],
  tenures = [0, 0, 0],
) => ({
  dryRun,
  created: { organizations: orgs[0], contacts: contacts[0], assignments: tenures[0] },
  updated: { organizations: orgs[1], contacts: contacts[1], assignments: tenures[1] },
  unchanged: { organizations: orgs[2], contacts: contacts[2], assignments: tenures[2] },
})
const familyNames = (t: App) =>
  t.db.$client.prepare('select family_name from contacts order by family_name').pluck().all()

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocdir-import-routes-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const fileDb = () => ({ DATABASE_PATH: join(dir, `db-${++n}.sqlite`) })

describe('the import in the contract', () => {
  it('its operation and result are generated exactly as committed', async () => {
    await expectGeneratedAsCommitted({ paths: ['/v1/imports'], schemas: ['ImportResult'] })
  })
})

describe('media types', () => {
  it('CSV, NDJSON and a JSON array (any case, with parameters); anything else is 415', async () => {
    await withApp({}, async (t) => {
      const h = await importer()
      for (const [body, type, name] of [
        ['externalId,familyName\na-1,Csv\n', 'text/csv', 'Csv'],
        ['externalId;familyName\na-2;Semicolon\n', 'Text/CSV; charset=utf-8', 'Semicolon'],
        ['{"externalId":"a-3","familyName":"Ndjson"}\n', 'application/x-ndjson', 'Ndjson'],
        ['externalId,familyName\na-6,Spaced\n', 'text/csv ; charset=utf-8', 'Spaced'],
        ['[{"externalId":"a-4","familyName":"Json"}]', 'application/json', 'Json'],
        ['[{"externalId":"a-5","familyName":"Charset"}]', ' APPLICATION/JSON ; charset=utf-8', 'Charset'],
      ] as const) {
        const res = await post(t, body, type, h)
        expect(res.json(), type).toEqual(counts([1, 0, 0]))
        expect(res.statusCode, type).toBe(200)
        expect(familyNames(t)).toContain(name)
      }
      const refused = await post(t, 'externalId,familyName\na-9,Plain\n', 'text/plain', h)
      expect(refused.statusCode).toBe(415)
      expect(familyNames(t)).not.toContain('Plain')
    })
  })

  it('a JSON row with a key named twice is refused, not last-wins', async () => {
    await withApp({}, async (t) => {
      const res = await post(
        t,
        '[{"externalId":"a-1","familyName":"First","familyName":"Second"}]',
        'application/json',
        await importer(),
      )
      expect(res.statusCode).toBe(400)
      expect(familyNames(t)).toEqual([])
    })
  })
})

describe('what the route hands the service', () => {
  it('dryRun=true writes nothing and says so; false or absent writes', async () => {
    await withApp({}, async (t) => {
      const h = await importer()
      const body = 'externalId,familyName\na-1,Osmonov\n'
      expect((await post(t, body, 'text/csv', h, '?dryRun=true')).json()).toEqual(counts([1, 0, 0], true))
      expect(familyNames(t)).toEqual([])
      expect((await post(t, body, 'text/csv', h, '?dryRun=false')).json()).toEqual(counts([1, 0, 0]))
      expect((await post(t, body, 'text/csv', h)).json()).toEqual(counts([0, 0, 1]))
      expect(familyNames(t)).toEqual(['Osmonov'])
    })
  })

  it("the token's states, its reading of restricted values, and its subject and request id reach the write", async () => {
    await withApp({}, async (t) => {
      const kg = await importer({ states: ['KG'] })
      const kz = 'externalId,familyName,stateCode\nkz-1,Abenov,KZ\n'
      const refused = await post(t, kz, 'text/csv', kg)
      expect(refused.statusCode).toBe(403)
      expect(refused.json().errors).toEqual([
        { row: 1, field: 'stateCode', message: 'the token may not import rows of state KZ' },
      ])
      const ok = await t.app.inject({
        method: 'POST',
        url: '/v1/imports',
        headers: { ...kg, 'content-type': 'text/csv', 'x-request-id': 'req-import-route-1' },
        payload: 'externalId,familyName,stateCode,email\nkg-1,Osmonov,KG,a@mfa.gov.kg\n',
      })
      expect(ok.json()).toEqual(counts([1, 0, 0]))
      expect(
        t.db.$client
          .prepare(`select actor, request_id as requestId from revisions where entity = 'contact'`)
          .all(),
      ).toEqual([{ actor: 'importer-ines', requestId: 'req-import-route-1' }])
      // A reader matches by e-mail; an import-only token may not use it as a key.
      const byEmail = 'familyName,email,givenName\nOsmonov,a@mfa.gov.kg,Almaz\n'
      expect((await post(t, byEmail, 'text/csv', await importer())).json()).toEqual(counts([0, 1, 0]))
      const blind = await post(t, byEmail, 'text/csv', await bearer('directory:import'))
      expect(blind.statusCode).toBe(422)
      // Import-only, keyed: a restricted e-mail given again counts as updated.
      expect(
        (
          await post(
            t,
            'externalId,familyName,email\nkg-1,Osmonov,a@mfa.gov.kg\n',
            'text/csv',
            await bearer('directory:import'),
          )
        ).json(),
      ).toEqual(counts([0, 1, 0]))
    })
  })
})

describe("the deployment's bounds", () => {
  it('IMPORT_BODY_LIMIT and IMPORT_MAX_ROWS: in the contract served, and enforced at the last allowed value and one past it', async () => {
    await withApp({ IMPORT_BODY_LIMIT: '1024', IMPORT_MAX_ROWS: '3' }, async (t) => {
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
      const content = doc.paths['/v1/imports'].post.requestBody.content
      expect(Object.keys(content)).toEqual(['text/csv', 'application/x-ndjson', 'application/json'])
      for (const type of Object.keys(content)) {
        expect(content[type].schema.anyOf[0].maxLength, type).toBe(1024)
        expect(content[type].schema.anyOf[1].maxItems, type).toBe(3)
      }
      const h = await importer()
      const rows = (k: number) =>
        Array.from({ length: k }, (_, i) => ({ externalId: `a-${i}`, familyName: 'X' }))
      expect((await post(t, JSON.stringify(rows(3)), 'application/json', h)).statusCode).toBe(200)
      expect((await post(t, JSON.stringify(rows(4)), 'application/json', h)).statusCode).toBe(413)
      const header = 'externalId,familyName,positionTitle\n'
      const line = `b-1,Y,${'t'.repeat(1024 - header.length - 'b-1,Y,'.length - 1)}\n`
      expect(Buffer.byteLength(header + line)).toBe(1024)
      expect((await post(t, header + line, 'text/csv', h)).statusCode).toBe(422)
      const over = await post(t, `${header + line} `, 'text/csv', h)
      expect(over.statusCode).toBe(413)
    })
  })
})

describe('the runner', () => {
  it('over a file database: imports on the worker, and its errors keep their shape', async () => {
    await withApp(fileDb(), async (t) => {
      expect(t.db.$client.memory).toBe(false)
      const h = await importer()
      expect((await post(t, 'externalId,familyName\nw-1,Worker\n', 'text/csv', h)).json()).toEqual(
        counts([1, 0, 0]),
      )
      expect(familyNames(t)).toEqual(['Worker'])
      const refused = await post(t, 'externalId,familyName,role\nw-2,Other,nope\n', 'text/csv', h)
      expect(refused.statusCode).toBe(422)
      expect(refused.json()).toMatchObject({
        type: 'urn:pocdir:problem:import-rows-rejected',
        detail: '1 row(s) rejected; nothing was imported',
      })
      // Two imports in turn on the same worker.
      expect((await post(t, 'externalId,familyName\nw-1,Worker\n', 'text/csv', h)).json()).toEqual(
        counts([0, 0, 1]),
      )
    })
  })

  it('records each import, accepted or refused, once by outcome, in seconds', async () => {
    for (const env of [{}, fileDb()]) {
      await withApp({ ...env, METRICS: 'admin' }, async (t) => {
        const admin = await bearer('directory:admin')
        const read = async () => {
          const body = (await t.app.inject({ method: 'GET', url: '/metrics', headers: admin })).body
          const value = (name: string, outcome: string) =>
            Number(
              new RegExp(
                `^pocdir_job_duration_seconds_${name}\\{kind="import",outcome="${outcome}"\\} (\\S+)$`,
                'm',
              ).exec(body)?.[1] ?? 0,
            )
          return {
            ok: value('count', 'ok'),
            failed: value('count', 'failed'),
            okSum: value('sum', 'ok'),
            failedSum: value('sum', 'failed'),
          }
        }
        const h = await importer()
        const before = await read()
        const t0 = performance.now()
        expect((await post(t, 'externalId,familyName\nm-1,A\n', 'text/csv', h)).statusCode).toBe(200)
        expect((await post(t, 'externalId,familyName\nm-2,\n', 'text/csv', h)).statusCode).toBe(422)
        const window = (performance.now() - t0) / 1000
        const after = await read()
        expect([after.ok - before.ok, after.failed - before.failed]).toEqual([1, 1])
        // Seconds, measured from the start of each import: within the two requests' time.
        for (const d of [after.okSum - before.okSum, after.failedSum - before.failedSum]) {
          expect(d).toBeGreaterThan(0)
          expect(d).toBeLessThanOrEqual(window)
        }
      })
    }
  })
})

/** The worker threads this process starts from now on (thread ids), and which have exited. */
function watchWorkers() {
  const started: number[] = []
  const exited = new Set<number>()
  const onWorker = (w: Worker) => {
    const id = w.threadId
    started.push(id)
    w.once('exit', () => exited.add(id))
  }
  process.on('worker', onWorker)
  return { started, exited, stop: () => process.off('worker', onWorker) }
}

async function until(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await sleep(10)
  }
}

// Worker threads start slowly on a loaded machine: these tests get a minute.
describe("the import worker's life (a file database)", { timeout: 60_000 }, () => {
  it('starts once the token passes, before the body is read, and stops when the app closes', async () => {
    const workers = watchWorkers()
    try {
      let thread = -1
      await withApp(fileDb(), async (t) => {
        // A worker with an open job keeps the process alive (its port is an active resource).
        const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length
        const idle = ports()
        const body = 'externalId,familyName\nw-1,Early\n'
        // Refused before the route's preParsing: no worker.
        expect((await post(t, body, 'text/csv', {})).statusCode).toBe(401)
        expect((await post(t, body, 'text/csv', await bearer('directory:read'))).statusCode).toBe(403)
        expect(workers.started).toEqual([])
        // Refused by validation, after the body was read: the worker was started for it all the same.
        const refused = await post(t, body, 'text/csv', await importer(), '?dryRun=maybe')
        expect(refused.statusCode).toBe(400)
        await until(() => workers.started.length === 1)
        thread = workers.started[0] ?? -1
        expect(familyNames(t)).toEqual([])
        // The next import runs on that worker: no second one.
        expect((await post(t, body, 'text/csv', await importer())).json()).toEqual(counts([1, 0, 0]))
        expect(familyNames(t)).toEqual(['Early'])
        expect(workers.started).toEqual([thread])
        // Its job closed with the answer: the worker keeps nothing alive.
        expect(ports()).toBe(idle)
        expect(workers.exited.size).toBe(0)
      })
      // Closing the app stops it (its quiet spell is a minute).
      await until(() => workers.exited.has(thread), 5_000)
      expect(workers.started).toEqual([thread])
    } finally {
      workers.stop()
    }
  })

  it('a listening service loads a spare worker without any request, which the first import uses', async () => {
    const workers = watchWorkers()
    try {
      let thread = -1
      await withApp(fileDb(), async (t) => {
        expect(workers.started).toEqual([])
        await t.app.listen({ port: 0, host: '127.0.0.1' })
        await until(() => workers.started.length === 1)
        thread = workers.started[0] ?? -1
        expect(
          (await post(t, 'externalId,familyName\ns-1,Spare\n', 'text/csv', await importer())).json(),
        ).toEqual(counts([1, 0, 0]))
        expect(workers.started).toEqual([thread])
      })
      await until(() => workers.exited.has(thread), 5_000)
      expect(workers.started).toEqual([thread])
    } finally {
      workers.stop()
    }
  })
})
