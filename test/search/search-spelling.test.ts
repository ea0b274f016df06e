import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import { contactIds, createContact, type Headers, type Json, type TestApp, writer } from './support.js'

/**
 * Spellings of one name that the search must treat as one, over HTTP: the same text in
 * composed and decomposed Unicode (what macOS and many PDFs send), and the Russian ё, which
 * passports (ICAO 9303: ё -> e) and everyday writing (ё typed as е) spell with a plain e.
 */

let t: TestApp
let w: Headers

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer()
})
afterAll(() => t.close())

const nfd = (s: string) => s.normalize('NFD')
const nfc = (s: string) => s.normalize('NFC')

describe('composed and decomposed Unicode are the same text', () => {
  const c: Record<string, Json> = {}

  beforeAll(async () => {
    c.composed = await createContact(t, w, { familyName: nfc('Ёлкин'), nameOriginal: nfc('Ёлкин') })
    c.decomposed = await createContact(t, w, { familyName: nfd('Семёнова'), nameOriginal: nfd('Семёнова') })
    c.muller = await createContact(t, w, { familyName: nfc('Müller') })
    c.aigul = await createContact(t, w, { familyName: nfc('Айгуль') })
    c.aigulbek = await createContact(t, w, { familyName: 'Aigulbek' })
  })

  it('a Latin diacritic matches in either form', async () => {
    expect(await contactIds(t, nfd('Müller'))).toEqual([c.muller?.id])
    expect(await contactIds(t, nfc('Müller'))).toEqual([c.muller?.id])
  })

  it('a decomposed query finds a composed Ё name', async () => {
    expect(await contactIds(t, nfc('Ёлкин'))).toEqual([c.composed?.id])
    expect(await contactIds(t, nfd('Ёлкин'))).toEqual([c.composed?.id])
  })

  it('a composed query finds a name stored decomposed', async () => {
    expect(await contactIds(t, nfd('Семёнова'))).toEqual([c.decomposed?.id])
    expect(await contactIds(t, nfc('Семёнова'))).toEqual([c.decomposed?.id])
  })

  it('a decomposed й ranks its whole-word match first, as the composed one does', async () => {
    expect(await contactIds(t, nfc('Айгуль'))).toEqual([c.aigul?.id, c.aigulbek?.id])
    expect(await contactIds(t, nfd('Айгуль'))).toEqual([c.aigul?.id, c.aigulbek?.id])
  })
})

describe('ё and e', () => {
  const c: Record<string, Json> = {}

  beforeAll(async () => {
    c.fyodorov = await createContact(t, w, {
      givenName: 'Пётр',
      familyName: 'Фёдоров',
      nameOriginal: 'Пётр Фёдоров',
    })
    c.gorbachev = await createContact(t, w, { givenName: 'Mikhail', familyName: 'Gorbachev' })
  })

  it('the library spelling still finds the Cyrillic name (control)', async () => {
    expect(await contactIds(t, 'Fyodorov')).toEqual([c.fyodorov?.id])
    expect(await contactIds(t, 'Фёдоров')).toEqual([c.fyodorov?.id])
  })

  it('the passport spelling "Fedorov" and the everyday "Федоров" find "Фёдоров"', async () => {
    expect(await contactIds(t, 'Fedorov')).toEqual([c.fyodorov?.id])
    expect(await contactIds(t, 'Федоров')).toEqual([c.fyodorov?.id])
    expect(await contactIds(t, 'Petr Fedorov')).toEqual([c.fyodorov?.id])
  })

  it('"Горбачёв" finds the person stored as "Gorbachev"', async () => {
    expect(await contactIds(t, 'Горбачев')).toEqual([c.gorbachev?.id])
    expect(await contactIds(t, 'Горбачёв')).toEqual([c.gorbachev?.id])
  })
})
