// The published contract is linted and guarded against breaking changes (issue #12, items 7 and 8).
// - Spectral (spectral:oas + the OWASP API Security ruleset, configured in .spectral.yaml) must report no
//   error beyond the committed baseline of known remaining errors, and that baseline only shrinks.
// - openapi/openapi.json must not break clients of the last released contract (openapi/released/vN.json),
//   as judged by api-smart-diff (scripts/openapi-breaking.ts; docs/contract.md says how to release).
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  breakingChanges,
  CONTRACT_FILE,
  lastReleased,
  type OpenApiDoc,
  pointer,
  RELEASED_DIR,
  readContract,
} from '../scripts/openapi-breaking.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BASELINE = join(ROOT, 'test', 'fixtures', 'spectral-baseline.txt')

// ---------------------------------------------------------------------------------------------------------
// Spectral

type SpectralResult = { code: string; path: Array<string | number>; message: string; severity: number }

/** Runs the Spectral CLI the way a developer would (`npx spectral lint`), with the committed ruleset:
 * its errors as `rule #/json/pointer` lines. */
function spectralErrors(): Set<string> {
  const require = createRequire(import.meta.url)
  const cli = join(dirname(require.resolve('@stoplight/spectral-cli/package.json')), 'dist', 'index.js')
  const run = spawnSync(
    process.execPath,
    [cli, 'lint', CONTRACT_FILE, '--ruleset', join(ROOT, '.spectral.yaml'), '--format', 'json', '--quiet'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
  // Exit 0: no result at error severity; 1: some. Anything else (a bad ruleset, an unreadable document)
  // is a broken check, never a pass.
  if (run.status !== 0 && run.status !== 1) throw new Error(`spectral exited ${run.status}: ${run.stderr}`)
  const results = JSON.parse(run.stdout) as SpectralResult[]
  return new Set(results.filter((result) => result.severity === 0).map((r) => `${r.code} ${pointer(r.path)}`))
}

/** The committed errors not yet fixed, one `rule #/json/pointer` a line, sorted (so grouped by rule). */
const readBaseline = () =>
  new Set(
    readFileSync(BASELINE, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== ''),
  )

describe('Spectral (spectral:oas + OWASP API Security) over openapi/openapi.json', () => {
  let current = new Set<string>()
  let known = new Set<string>()

  beforeAll(() => {
    current = spectralErrors()
    known = readBaseline()
    // `SPECTRAL_BASELINE=shrink npx vitest run test/contract-lint.test.ts` drops fixed errors from the
    // baseline. It never adds one: a new error is fixed in the contract, or its rule is turned off in
    // .spectral.yaml with a reason.
    if (process.env.SPECTRAL_BASELINE === 'shrink') {
      known = new Set([...known].filter((entry) => current.has(entry)).sort())
      writeFileSync(BASELINE, [...known].map((entry) => `${entry}\n`).join(''))
    }
  }, 120_000)

  it('reports no error that is not in the committed baseline', () => {
    expect([...current].filter((entry) => !known.has(entry))).toEqual([])
  })

  it('has a baseline that lists only errors still reported (it shrinks as the contract is fixed)', () => {
    expect([...known].filter((entry) => !current.has(entry))).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------------------
// Breaking changes against the last released contract

const committed = () => readContract()

/** The object at `path` inside `doc`; throws when the committed contract no longer has it. */
function at(doc: OpenApiDoc, ...path: string[]): OpenApiDoc {
  let node: unknown = doc
  for (const key of path) {
    node = (node as Record<string, unknown> | undefined)?.[key]
    if (node === undefined) throw new Error(`fixture target ${pointer(path)} is not in openapi.json`)
  }
  return node as OpenApiDoc
}

describe('No silent breaking change against the released contract', () => {
  it('openapi/openapi.json keeps every promise of the last released contract', () => {
    const released = lastReleased()
    if (!released) throw new Error(`no released contract in ${RELEASED_DIR}: run npm run openapi:release`)
    const changes = breakingChanges(released.doc, committed())
    // The first 40 say what broke; one component change repeats under every operation that uses it.
    expect(changes.slice(0, 40), `${changes.length} breaking changes against ${released.file}`).toEqual([])
  }, 60_000)

  // Each edit below is made in memory on the committed document: the check must call it breaking.
  const breaking: Array<[string, (doc: OpenApiDoc) => void]> = [
    ['a removed operation', (doc) => delete at(doc, 'paths', '/v1/contacts/{id}').delete],
    ['a removed path', (doc) => delete at(doc, 'paths')['/v1/reports/stale']],
    [
      'a new required query parameter',
      (doc) =>
        at(doc, 'paths', '/v1/contacts', 'get', 'parameters').push({
          in: 'query',
          name: 'tenant',
          required: true,
          schema: { type: 'string', maxLength: 10 },
        }),
    ],
    [
      'a new required field in a request body',
      (doc) => {
        const input = at(doc, 'components', 'schemas', 'ContactCreateInput')
        input.required = [...(input.required ?? []), 'positionTitle']
      },
    ],
    [
      'a narrowed input type (shorter maxLength)',
      (doc) => {
        at(doc, 'components', 'schemas', 'ContactCreateInput', 'properties', 'familyName').maxLength = 10
      },
    ],
    [
      'a narrowed query parameter (smaller maximum)',
      (doc) => {
        const limit = at(doc, 'paths', '/v1/contacts', 'get', 'parameters').find(
          (parameter: { name?: string }) => parameter.name === 'limit',
        )
        if (!limit?.schema) throw new Error('fixture target: limit parameter of GET /v1/contacts')
        limit.schema.maximum = 100
      },
    ],
    [
      'a removed field of a response',
      (doc) => delete at(doc, 'components', 'schemas', 'Contact', 'properties').familyName,
    ],
    [
      'a changed type of a response field',
      (doc) => {
        at(doc, 'components', 'schemas', 'Contact', 'properties', 'familyName').type = 'integer'
      },
    ],
    [
      'a removed response status',
      (doc) => delete at(doc, 'paths', '/v1/contacts/{id}', 'get', 'responses')['404'],
    ],
    [
      'a changed success status (201 becomes 200)',
      (doc) => {
        const responses = at(doc, 'paths', '/v1/contacts', 'post', 'responses')
        responses['200'] = responses['201']
        delete responses['201']
      },
    ],
  ]

  it.each(breaking)(
    'flags %s as breaking',
    (_name, edit) => {
      const doc = committed()
      edit(doc)
      expect(breakingChanges(committed(), doc).length).toBeGreaterThan(0)
    },
    60_000,
  )

  // ...and additions a client does not notice must pass, or the check would only ever be switched off.
  const compatible: Array<[string, (doc: OpenApiDoc) => void]> = [
    [
      'a new optional query parameter',
      (doc) =>
        at(doc, 'paths', '/v1/contacts', 'get', 'parameters').push({
          in: 'query',
          name: 'sort',
          required: false,
          schema: { type: 'string', enum: ['name'] },
        }),
    ],
    [
      'a new field in a response',
      (doc) => {
        at(doc, 'components', 'schemas', 'Contact', 'properties').pronouns = { type: 'string', maxLength: 40 }
      },
    ],
    [
      'a new operation',
      (doc) => {
        at(doc, 'paths')['/v1/ping'] = { get: { responses: { '204': { description: 'No Content' } } } }
      },
    ],
  ]

  it.each(compatible)(
    'accepts %s as compatible',
    (_name, edit) => {
      const doc = committed()
      edit(doc)
      expect(breakingChanges(committed(), doc)).toEqual([])
    },
    60_000,
  )
})
