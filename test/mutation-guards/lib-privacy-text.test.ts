import { describe, expect, it } from 'vitest'
import type { ContactDetail, RevisionRow } from '../../src/db/schema.js'
import { ContactDetailIn, ContactDetailsIn, visibleDetails } from '../../src/lib/contact-details.js'
import { mustExist } from '../../src/lib/references.js'
import {
  carriesRestricted,
  proposesRestricted,
  restrictedIds,
  revisionCarriesRestricted,
} from '../../src/lib/restricted.js'
import { illFormedText, isWellFormed, refuseIllFormedText } from '../../src/lib/text-hygiene.js'
import { problemOf } from '../helpers/problem-of.js'

/**
 * The small rules of src/lib that decide privacy and what text is accepted, with exact values:
 * which rows and revisions carry restricted values (restricted.ts), ill-formed Unicode anywhere
 * in an input (text-hygiene.ts), a missing reference (references.ts), contact details as
 * clients send them (contact-details.ts).
 */

const detail = (
  visibility: 'public' | 'restricted',
  type: ContactDetail['type'] = 'email',
): ContactDetail => ({
  type,
  value: 'x@y.kg',
  label: null,
  visibility,
})

describe('restricted.ts', () => {
  it('carriesRestricted: notes (even empty) or a restricted detail', () => {
    expect(carriesRestricted({ notes: null, contactDetails: [] })).toBe(false)
    expect(carriesRestricted({ notes: '', contactDetails: [] })).toBe(true)
    expect(carriesRestricted({ notes: 'n', contactDetails: [] })).toBe(true)
    expect(carriesRestricted({ notes: null, contactDetails: [detail('public'), detail('public')] })).toBe(
      false,
    )
    expect(carriesRestricted({ notes: null, contactDetails: [detail('public'), detail('restricted')] })).toBe(
      true,
    )
    expect(carriesRestricted({ notes: null, contactDetails: [detail('restricted')] })).toBe(true)
  })

  const revision = (entity: string, changes: Record<string, { before: unknown; after: unknown }>) =>
    ({ entity, changes }) as unknown as RevisionRow

  it('revisionCarriesRestricted: a contact revision with notes or restricted details, before or after', () => {
    const notes = (before: unknown, after: unknown) => ({ notes: { before, after } })
    const details = (before: unknown, after: unknown) => ({ contactDetails: { before, after } })
    expect(revisionCarriesRestricted(revision('contact', {}))).toBe(false)
    expect(revisionCarriesRestricted(revision('contact', notes('a', null)))).toBe(true)
    expect(revisionCarriesRestricted(revision('contact', notes(null, 'b')))).toBe(true)
    expect(revisionCarriesRestricted(revision('contact', notes('', null)))).toBe(true)
    expect(revisionCarriesRestricted(revision('contact', notes(null, null)))).toBe(false)
    expect(revisionCarriesRestricted(revision('contact', details([detail('restricted')], [])))).toBe(true)
    expect(revisionCarriesRestricted(revision('contact', details(null, [detail('restricted')])))).toBe(true)
    expect(
      revisionCarriesRestricted(revision('contact', details([detail('public')], [detail('public')]))),
    ).toBe(false)
    expect(revisionCarriesRestricted(revision('contact', details(null, null)))).toBe(false)
    expect(
      revisionCarriesRestricted(
        revision('contact', { ...notes(null, null), ...details(null, [detail('restricted')]) }),
      ),
    ).toBe(true)
    expect(revisionCarriesRestricted(revision('contact', { familyName: { before: 'a', after: 'b' } }))).toBe(
      false,
    )
    // Another entity's notes or details are not a person's.
    expect(revisionCarriesRestricted(revision('organization', details(null, [detail('restricted')])))).toBe(
      false,
    )
    expect(revisionCarriesRestricted(revision('participation', notes('a', 'b')))).toBe(false)
  })

  it('restrictedIds: the ids of the rows that carry restricted values, in order', () => {
    expect(
      restrictedIds([
        { id: 'a', notes: null, contactDetails: [detail('public')] },
        { id: 'b', notes: 'n', contactDetails: [] },
        { id: 'c', notes: null, contactDetails: [] },
        { id: 'd', notes: null, contactDetails: [detail('public'), detail('restricted', 'phone')] },
      ]),
    ).toEqual(['b', 'd'])
    expect(restrictedIds([])).toEqual([])
  })

  it('proposesRestricted: a patch whose contact details hold a restricted one', () => {
    expect(proposesRestricted({})).toBe(false)
    expect(proposesRestricted({ notes: 'n' })).toBe(false)
    expect(proposesRestricted({ contactDetails: null })).toBe(false)
    expect(proposesRestricted({ contactDetails: 'restricted' })).toBe(false)
    expect(proposesRestricted({ contactDetails: { visibility: 'restricted' } })).toBe(false)
    expect(proposesRestricted({ contactDetails: [] })).toBe(false)
    expect(proposesRestricted({ contactDetails: [detail('public')] })).toBe(false)
    expect(proposesRestricted({ contactDetails: [null, 'x', detail('restricted')] })).toBe(true)
    expect(proposesRestricted({ contactDetails: [{ visibility: 'restricted' }] })).toBe(true)
  })
})

describe('text-hygiene.ts', () => {
  const MESSAGE = 'is not well-formed Unicode (it holds an unpaired surrogate)'
  const KEY_MESSAGE = 'is a field name that is not well-formed Unicode (it holds an unpaired surrogate)'

  it('isWellFormed: pairs yes, lone or reversed halves no', () => {
    expect(isWellFormed('')).toBe(true)
    expect(isWellFormed('Асан 😀')).toBe(true)
    expect(isWellFormed('\ud800')).toBe(false)
    expect(isWellFormed('a\udc00')).toBe(false)
    expect(isWellFormed('\ude00\ud83d')).toBe(false)
  })

  it('illFormedText: paths in document order, at any depth, under a prefix', () => {
    expect(illFormedText('fine')).toEqual([])
    expect(illFormedText('\ud800')).toEqual([{ path: '(root)', message: MESSAGE }])
    expect(illFormedText('\ud800', 'query')).toEqual([{ path: 'query', message: MESSAGE }])
    expect(illFormedText(['ok', '\ud800'])).toEqual([{ path: '1', message: MESSAGE }])
    expect(illFormedText({ q: '\ud800', n: 1, b: true, z: null, u: undefined }, 'query')).toEqual([
      { path: 'query.q', message: MESSAGE },
    ])
    expect(
      illFormedText({
        a: 'x\udc00',
        b: { c: ['ok', { d: '\ud800' }, '\udfff'], e: 'ok' },
        f: [[['\ud83d']]],
        g: 'ok 😀',
      }),
    ).toEqual([
      { path: 'a', message: MESSAGE },
      { path: 'b.c.1.d', message: MESSAGE },
      { path: 'b.c.2', message: MESSAGE },
      { path: 'f.0.0.0', message: MESSAGE },
    ])
    expect(illFormedText({ id: '\ud800' }, 'params')).toEqual([{ path: 'params.id', message: MESSAGE }])
    expect(illFormedText(42)).toEqual([])
    expect(illFormedText(null)).toEqual([])
    expect(illFormedText({})).toEqual([])
  })

  it('a key that is not well-formed is named (U+FFFD in its place) and its value is not looked into', () => {
    expect(illFormedText({ 'a\ud800b': '\udc00', ok: { 'x\udfff': { deep: '\ud800' } } })).toEqual([
      { path: 'a\ufffdb', message: KEY_MESSAGE },
      { path: 'ok.x\ufffd', message: KEY_MESSAGE },
    ])
    expect(illFormedText({ '\ud800\udfff\udc00': 1 })).toEqual([
      { path: '\ud800\udfff\ufffd', message: KEY_MESSAGE },
    ])
    expect(illFormedText({ '\udc00\udc01': 1 }, 'body')).toEqual([
      { path: 'body.\ufffd\ufffd', message: KEY_MESSAGE },
    ])
  })

  it('stops at the limit (20 unless told)', () => {
    const many = Array.from({ length: 30 }, () => '\ud800')
    const twenty = illFormedText(many)
    expect(twenty).toHaveLength(20)
    expect(twenty.map((e) => e.path)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
    expect(illFormedText(many, '', 2)).toEqual([
      { path: '0', message: MESSAGE },
      { path: '1', message: MESSAGE },
    ])
    expect(illFormedText(many, '', 0)).toEqual([])
    expect(illFormedText(Array.from({ length: 20 }, () => '\ud800'))).toHaveLength(20)
  })

  it('nesting deeper than the stack allows is walked without overflowing', () => {
    let deep: unknown = '\ud800'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    const [error] = illFormedText(deep)
    expect(error?.message).toBe(MESSAGE)
    expect(error?.path).toBe(Array.from({ length: 100_000 }, () => '0').join('.'))
  })

  it('refuseIllFormedText: nothing when every input is well-formed; else one 400 naming each field', () => {
    expect(refuseIllFormedText([])).toBeUndefined()
    expect(
      refuseIllFormedText([
        ['', { a: 'ok' }],
        ['query', { q: 'ok' }],
      ]),
    ).toBeUndefined()
    const problem = problemOf(() =>
      refuseIllFormedText([
        ['', { a: '\ud800', b: 'ok' }],
        ['query', { q: '\udc00' }],
        ['params', { id: 'fine' }],
      ]),
    )
    expect(problem.toBody()).toEqual({
      type: 'urn:pocdir:problem:validation-error',
      title: 'Validation failed',
      status: 400,
      detail: `a: ${MESSAGE}; query.q: ${MESSAGE}`,
      errors: [
        { path: 'a', message: MESSAGE },
        { path: 'query.q', message: MESSAGE },
      ],
    })
  })
})

describe('references.ts', () => {
  it('mustExist: the row itself, or a 400 naming the field', () => {
    const row = { id: 'x' }
    expect(mustExist(row, 'roleId', 'role')).toBe(row)
    expect(mustExist(null, 'roleId', 'role')).toBeNull()
    expect(mustExist(0, 'roleId', 'role')).toBe(0)
    expect(problemOf(() => mustExist(undefined, 'query.roleId', 'role')).toBody()).toEqual({
      type: 'urn:pocdir:problem:validation-error',
      title: 'Validation failed',
      status: 400,
      detail: 'query.roleId: no role with this identifier',
      errors: [{ path: 'query.roleId', message: 'no role with this identifier' }],
    })
  })
})

describe('contact-details.ts', () => {
  const parse = (d: unknown) => ContactDetailIn.safeParse(d)
  const issues = (d: unknown) => {
    const r = parse(d)
    expect(r.success).toBe(false)
    return r.error?.issues.map((i) => ({ path: i.path, message: i.message }))
  }

  it('e-mail addresses are trimmed and lower-cased; others refused', () => {
    expect(parse({ type: 'email', value: '  Desk@MFA.gov.KG ', label: ' office ' }).data).toEqual({
      type: 'email',
      value: 'desk@mfa.gov.kg',
      label: 'office',
      visibility: 'restricted',
    })
    expect(issues({ type: 'email', value: 'not an address' })).toEqual([
      { path: ['value'], message: 'is not a valid email address' },
    ])
  })

  it('phone, mobile and fax numbers become E.164; numbers that are not valid are refused', () => {
    for (const type of ['phone', 'mobile', 'fax'] as const) {
      expect(parse({ type, value: '+996 312 62 00 00', visibility: 'public' }).data).toEqual({
        type,
        value: '+996312620000',
        label: null,
        visibility: 'public',
      })
      expect(issues({ type, value: '+996 1' })).toEqual([
        { path: ['value'], message: 'is not a valid international phone number (e.g. +996 312 123456)' },
      ])
      expect(issues({ type, value: 'call me' })).toEqual([
        { path: ['value'], message: 'is not a valid international phone number (e.g. +996 312 123456)' },
      ])
    }
  })

  it('websites must be http(s) URLs; addresses are free text', () => {
    expect(parse({ type: 'website', value: 'https://mfa.gov.kg/en' }).data?.value).toBe(
      'https://mfa.gov.kg/en',
    )
    expect(parse({ type: 'website', value: 'http://mfa.gov.kg' }).data?.value).toBe('http://mfa.gov.kg')
    for (const value of [
      'ftp://mfa.gov.kg',
      'mfa.gov.kg',
      'javascript:alert(1)',
      'httpx://a.kg',
      'xhttp://a.kg',
    ]) {
      expect(issues({ type: 'website', value })).toEqual([
        { path: ['value'], message: 'is not an http(s) URL' },
      ])
    }
    expect(parse({ type: 'address', value: '+996 not a phone, not@mail', label: null }).data).toEqual({
      type: 'address',
      value: '+996 not a phone, not@mail',
      label: null,
      visibility: 'restricted',
    })
  })

  it('bounds: value 1..500 characters after trimming, label up to 100, 50 details', () => {
    const address = (value: string, label?: string) => parse({ type: 'address', value, label })
    expect(address('a'.repeat(500)).success).toBe(true)
    expect(address('a'.repeat(501)).success).toBe(false)
    expect(address('   ').success).toBe(false)
    expect(address('').success).toBe(false)
    expect(address('a', 'l'.repeat(100)).success).toBe(true)
    expect(address('a', 'l'.repeat(101)).success).toBe(false)
    expect(parse({ type: 'address', value: 'a', extra: 1 }).success).toBe(false)
    expect(parse({ type: 'pager', value: 'a' }).success).toBe(false)
    expect(parse({ type: 'address', value: 'a', visibility: 'secret' }).success).toBe(false)
    const list = (n: number) => Array.from({ length: n }, () => ({ type: 'address', value: 'a' }))
    expect(ContactDetailsIn.safeParse(list(50)).success).toBe(true)
    expect(ContactDetailsIn.safeParse(list(51)).success).toBe(false)
  })

  it('visibleDetails: everything for a reader who sees restricted values, public ones for others', () => {
    const details = [detail('public'), detail('restricted', 'phone'), detail('public', 'fax')]
    expect(visibleDetails(details, true)).toEqual(details)
    expect(visibleDetails(details, false)).toEqual([detail('public'), detail('public', 'fax')])
  })
})
