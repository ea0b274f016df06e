import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_QUERY_WORDS, queryWords } from '../../src/lib/search-text.js'
import { buildTestApp } from '../helpers/build-test-app.js'
import {
  contactIds,
  createAssignment,
  createContact,
  createOrganization,
  expectProblem,
  type Headers,
  type Json,
  type Res,
  reader,
  type TestApp,
  withQ,
  writer,
} from './support.js'

/**
 * What `q` refuses (400 problem+json naming query.q) and what it takes as plain words: FTS5
 * syntax in a query is never interpreted, and no string makes the service answer 5xx.
 */

const ENDPOINTS = ['/v1/contacts', '/v1/organizations', '/v1/directory', '/v1/directory?state=KG']

let t: TestApp
let w: Headers
let r: Headers
let zh: Json
let near: Json

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer()
  r = await reader()
  zh = await createContact(t, w, {
    givenName: 'Asan',
    familyName: 'Zhumabekov',
    positionTitle: 'Colonel, Valuations Officer',
    contactDetails: [{ type: 'email', value: 'a.zhumabekov@mfa.gov.kg' }],
  })
  near = await createContact(t, w, { givenName: 'Near', familyName: 'Andor', positionTitle: 'Val Or' })
  const mfa = await createOrganization(t, w, { name: 'Ministry of Foreign Affairs', acronym: 'MFA' })
  await createAssignment(t, w, { contact: zh, organization: mfa, role: 'national-poc' })
  await createAssignment(t, w, { contact: near, organization: mfa, role: 'technical-poc' })
})
afterAll(() => t.close())

const get = (url: string, headers: Headers = {}) => t.app.inject({ method: 'GET', url, headers })

describe('a q with nothing to search for is 400 problem+json naming query.q', () => {
  it.each([
    ['empty', ''],
    ['a space', ' '],
    ['whitespace', ' \t\n  '],
    ['***', '***'],
    ['a quote', '"'],
    ['two quotes', '""'],
    ['(', '('],
    [')', ')'],
    ['-', '-'],
    ['^', '^'],
    [':', ':'],
    ['+', '+'],
    ['{}', '{ }'],
    ['punctuation mix', `"*" ( ) : ^ - + , . ; ' \``],
    ['emoji only', '🙂🙂 👍🏽 🇰🇬'],
    ['combining marks only', '\u0301\u0308'],
    ['zero-width space', '\u200b'],
  ])('%s', async (_, q) => {
    for (const base of ENDPOINTS) {
      const body = expectProblem(await get(withQ(base, q)), 400, 'query.q')
      expect(body.detail).toContain('query.q')
    }
  })

  it('"NEAR(" is a word, not an operator: it searches for "near"', async () => {
    expect(await contactIds(t, 'NEAR(')).toEqual([near.id])
  })

  it('over 200 characters is 400; 200 is fine', async () => {
    for (const base of ENDPOINTS) {
      expectProblem(await get(withQ(base, 'a'.repeat(201))), 400, 'query.q')
      expectProblem(await get(withQ(base, `zhumabekov ${'x'.repeat(190)}`)), 400, 'query.q')
      const ok = await get(withQ(base, 'z'.repeat(200)))
      expect(ok.statusCode, ok.body).toBe(200)
    }
  })

  it('more than 16 words is 400; 16 is fine; punctuation between words does not count as words', async () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ')
    for (const base of ENDPOINTS) {
      expectProblem(await get(withQ(base, words(17))), 400, 'query.q')
      expectProblem(await get(withQ(base, 'a '.repeat(40).trim())), 400, 'query.q')
      expect((await get(withQ(base, words(16)))).statusCode).toBe(200)
      expect((await get(withQ(base, `${words(16)} * - " (`))).statusCode).toBe(200)
    }
  })

  it('q given twice is 400 naming query.q', async () => {
    for (const base of ['/v1/contacts', '/v1/organizations', '/v1/directory']) {
      expectProblem(await get(`${base}?q=asan&q=zhumabekov`), 400, 'query.q')
    }
  })
})

describe('FTS5 syntax inside words is taken literally', () => {
  it.each<[string, (() => unknown)[]]>([
    ['zhum*"', [() => zh.id]],
    ['"zhumabekov"', [() => zh.id]],
    ['zhumabekov*', [() => zh.id]],
    ['(zhumabekov)', [() => zh.id]],
    ['^zhumabekov', [() => zh.id]],
    ['-zhumabekov', [() => zh.id]],
    ['+asan +zhumabekov', [() => zh.id]],
    ['{public_plain}: zhumabekov', []], // "public" and "plain" are words to find, and no one has them
    ['{restricted_plain}: zhumabekov', []],
    ['a NEAR(b', []],
    ['x AND', []],
    ['zhumabekov AND', []],
    ['zhumabekov OR', []],
    ['zhumabekov OR sadykov', []],
    ['zhumabekov NOT asan', []],
    ['OR', [() => near.id]], // the word "or", in the title "Val Or"
    ['AND', [() => near.id]], // a prefix of "Andor"
    ['NOT', []],
    ['col:val', [() => zh.id]],
    ['public_plain:zhumabekov', []],
    ['restricted_plain:zhumabekov', []],
    ['zhumabekov"', [() => zh.id]],
    ["zhumabekov'", [() => zh.id]],
    ['zhu"mabekov', []],
    ['NEAR(zhumabekov asan, 2)', []], // "near" and "zhumabekov" in one person: no one
    ['NEAR(andor val)', [() => near.id]], // words "near", "andor", "val": Near Andor, Val Or
  ])('%s answers 200 with the plain-word result', async (q, expected) => {
    for (const base of ENDPOINTS) {
      const res = await get(withQ(base, q))
      expect(res.statusCode, `${base} ${q}: ${res.body}`).toBe(200)
    }
    expect(await contactIds(t, q)).toEqual(expected.map((f) => f()))
  })

  it('the restricted columns cannot be named into an anonymous search', async () => {
    expect(await contactIds(t, 'mfa', r)).toEqual([zh.id])
    for (const q of [
      'mfa',
      '{restricted_plain}:mfa',
      'restricted_plain:mfa',
      '{public_plain restricted_plain}: mfa',
    ]) {
      expect(await contactIds(t, q), q).toEqual([])
    }
  })
})

describe('fuzz: no q makes a 5xx', () => {
  // A small deterministic PRNG (mulberry32), so a failure names a reproducible string.
  function rng(seed: number) {
    let a = seed >>> 0
    return () => {
      a = (a + 0x6d2b79f5) >>> 0
      let x = a
      x = Math.imul(x ^ (x >>> 15), x | 1)
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296
    }
  }
  const PIECES = [
    ...'abcxyzZHJ019',
    ...'*"\'`()[]{}:^-+,.;!?@#$%&=<>/\\|~_',
    ' ',
    '  ',
    '\t',
    '\n',
    'AND',
    'OR',
    'NOT',
    'NEAR',
    'NEAR(',
    'public_plain',
    'restricted_folded',
    'rank',
    'rowid',
    ...'жумабековЖӘәңғүұқһєїђћčšžđßİıŉǄﬁ²©',
    ...'αβγ李明日本語한국어عربيעברית',
    '\u0301',
    '\u0308',
    '\u200b',
    '\u200d',
    '\u202e',
    '\ufeff',
    '\u0000',
    '\u007f',
    '🙂',
    '👍🏽',
    '👨‍👩‍👧',
    '🇰🇬',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    'zhumabekov',
    'Жумабеков',
  ]

  function randomQuery(next: () => number): string {
    const long = next() < 0.1
    const n = long ? 60 + Math.floor(next() * 80) : Math.floor(next() * 14)
    let s = ''
    for (let i = 0; i < n; i++) s += PIECES[Math.floor(next() * PIECES.length)]
    return s
  }

  /**
   * The one refusal a q can earn, from the schema's rules: over 200 characters (code points,
   * as zod counts them), no word to
   * search for, or more than 16 words (words as the search splits them, tested on their own in
   * folding.test.ts). Undefined when the q must be searched.
   */
  function refusalOf(q: string): string | undefined {
    const words = queryWords(q).length
    const reasons = [
      [...q].length > 200 ? 'Too big: expected string to have <=200 characters' : undefined,
      words === 0 ? 'has no letters or digits to search for' : undefined,
      words > MAX_QUERY_WORDS ? `has more than ${MAX_QUERY_WORDS} words` : undefined,
    ].filter((r) => r !== undefined)
    return reasons.length ? reasons.map((r) => `query.q: ${r}`).join('; ') : undefined
  }

  function check(res: Res, q: string, label: string) {
    const refusal = refusalOf(q)
    if (refusal) {
      expect(res.statusCode, `${label}: ${res.body}`).toBe(400)
      expect(expectProblem(res, 400, 'query.q').detail, label).toBe(refusal)
    } else {
      expect(res.statusCode, `${label}: ${res.body}`).toBe(200)
      expect((res.json() as Json).items, label).toBeInstanceOf(Array)
    }
  }

  it('300 random strings over operators, quotes, scripts, combining marks and emoji', async () => {
    const next = rng(1540)
    let ok = 0
    for (let i = 0; i < 300; i++) {
      const q = randomQuery(next)
      const base = ENDPOINTS[i % ENDPOINTS.length] as string
      const headers = i % 2 ? r : {}
      const res = await get(withQ(`${base}${base.includes('?') ? '&' : '?'}limit=2`, q), headers)
      check(res, q, `${base} q=${JSON.stringify(q)}`)
      if (res.statusCode === 200) {
        ok++
        const cursor = (res.json() as Json).nextCursor
        if (cursor) {
          const more = await get(
            `${withQ(`${base}${base.includes('?') ? '&' : '?'}limit=2`, q)}&cursor=${encodeURIComponent(cursor)}`,
            headers,
          )
          check(more, q, `${base} q=${JSON.stringify(q)} page 2`)
        }
      }
    }
    expect(ok, 'most random strings are searchable').toBeGreaterThan(100)
  })

  it('raw, badly encoded query strings are answered exactly: a malformed escape is kept as text', async () => {
    // The query parser keeps an escape it cannot decode as the literal text, so "%FF" searches
    // for "ff"; what decodes to nothing searchable (NUL, "+" as a space, "+*") is the 400.
    const nothingToSearch = ['%', '%%', '%00', '+', '%2B%2A']
    const searched = ['%FF', '%E0%A4', '%C0%AF', '%ED%A0%80', '%u0041', '%2', '%%32%35']
    for (const base of ['/v1/contacts', '/v1/organizations', '/v1/directory']) {
      for (const raw of nothingToSearch) {
        const body = expectProblem(await get(`${base}?q=${raw}`), 400, 'query.q')
        expect(body.detail, `${base}?q=${raw}`).toBe('query.q: has no letters or digits to search for')
      }
      for (const raw of searched) {
        const res = await get(`${base}?q=${raw}`)
        expect(res.statusCode, `${base}?q=${raw}: ${res.body}`).toBe(200)
        const literal = await get(withQ(base, raw))
        expect(res.json(), `${base}?q=${raw} searches for the text ${raw}`).toEqual(literal.json())
      }
    }
  })

  it('one word of many tokens, and many one-letter prefixes, are fine', async () => {
    for (const q of [
      'a.'.repeat(100),
      'a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z-'.repeat(3),
      Array.from({ length: 16 }, () => 'a').join(' '),
      Array.from({ length: 16 }, () => 'a.b.c.d.e.f').join(' '),
      '李'.repeat(200),
      'ǅ'.repeat(200),
    ]) {
      for (const base of ENDPOINTS) {
        const res = await get(withQ(base, q), r)
        expect(res.statusCode, `${base} ${q.slice(0, 20)}…: ${res.body}`).toBe(200)
      }
    }
  })

  it('a letter the transliteration drops (ﷺ) leaves nothing to search for: 400, as stored names index nothing for it', async () => {
    for (const base of ENDPOINTS) {
      const body = expectProblem(await get(withQ(base, 'ﷺ'.repeat(40)), r), 400, 'query.q')
      expect(body.detail).toBe('query.q: has no letters or digits to search for')
    }
  })
})
