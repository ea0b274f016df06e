import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { bearer } from '../helpers/build-test-app.js'
import { type Headers, type Json, problemBody, refusedWithoutWrites, type TestApp } from '../helpers/http.js'

export { getJson, listAll } from '../helpers/http.js'
export type { Headers, Json, TestApp }

/** Shared pieces of the import and export tests: a realistic directory, its formats, assertions. */

/** The import columns as DESIGN.md lists them, plus the two optional visibility columns. */
export const COLUMNS = [
  'stateCode',
  'organization',
  'organizationKind',
  'role',
  'externalId',
  'honorific',
  'givenName',
  'familyName',
  'nameOriginal',
  'positionTitle',
  'email',
  'phone',
  'startDate',
  'endDate',
  'emailVisibility',
  'phoneVisibility',
] as const
export type Column = (typeof COLUMNS)[number]
export type Row = Partial<Record<Column, string>>

/**
 * A staff importer who also reads the directory: people are matched by email too, and counts
 * see restricted values. An import-only token (`importOnly`) matches by externalId or id only
 * and counts a person whose difference may be restricted as updated (DESIGN.md "Import privacy").
 */
export const importer = (sub = 'importer-ines', claims: Json = {}) =>
  bearer('directory:import directory:read', { sub, ...claims })
export const importOnly = (sub = 'importer-ivo', claims: Json = {}) =>
  bearer('directory:import', { sub, ...claims })
export const admin = (sub = 'admin-alice') => bearer('directory:admin', { sub })

// ---------------------------------------------------------------------------------------------
// The 200-row directory.

const STATES = ['KG', 'KZ', 'UZ', 'TJ', 'TM'] as const
type StateCode = (typeof STATES)[number]

/** A national phone number as people type it, and its E.164 form with the state as region. */
const PHONES: Record<StateCode | 'INTL', (p: number) => [string, string]> = {
  KG: (p) => [`0312 ${620000 + p}`, `+996312${620000 + p}`],
  KZ: (p) => [`8 7172 ${720000 + p}`, `+77172${720000 + p}`],
  UZ: (p) => [`71 233 ${4000 + p}`, `+99871233${4000 + p}`],
  TJ: (p) => [`372 21 ${1000 + p}`, `+99237221${1000 + p}`],
  TM: (p) => [`12 ${340000 + p}`, `+99312${340000 + p}`],
  INTL: (p) => [`+43 1 514 36 ${6000 + p}`, `+43151436${6000 + p}`],
}
const DOMAINS: Record<StateCode | 'INTL', string> = {
  KG: 'mfa.gov.kg',
  KZ: 'mfa.kz',
  UZ: 'mfa.uz',
  TJ: 'mfa.tj',
  TM: 'mfa.gov.tm',
  INTL: 'osce.org',
}
export const ORGS = [
  'Ministry of Foreign Affairs',
  'State Customs Service',
  'Ministry of Defence',
  'Agency for Nuclear and Radiation Safety',
] as const
export const INTL_ORG = 'OSCE Secretariat'
const ROLES = [
  'national-poc',
  'alternate-poc',
  'technical-poc',
  'export-control-poc',
  'border-poc',
  'nuclear-poc',
  'chemical-poc',
  'mission-poc',
] as const
const GIVEN: [string, string, boolean][] = [
  ['Asan', 'Асан', false],
  ['Aigul', 'Айгуль', true],
  ['Bakyt', 'Бакыт', false],
  ['Nurlan', 'Нурлан', false],
  ['Dilnoza', 'Дилноза', true],
  ['Farrukh', 'Фаррух', false],
  ['Zarina', 'Зарина', true],
  ['Timur', 'Тимур', false],
  ['Gulnara', 'Гульнара', true],
  ['Rustam', 'Рустам', false],
]
const FAMILY: [string, string][] = [
  ['Zhumabekov', 'Жумабеков'],
  ['Sadykov', 'Садыков'],
  ['Osmonov', 'Осмонов'],
  ['Iskakov', 'Искаков'],
  ['Karimov', 'Каримов'],
  ['Rahimov', 'Рахимов'],
  ['Nazarov', 'Назаров'],
  ['Yusupov', 'Юсупов'],
  ['Tursunov', 'Турсунов'],
  ['Abdullaev', 'Абдуллаев'],
  ['Mamatov', 'Маматов'],
  ['Beknazarov', 'Бекназаров'],
  ['Ergashev', 'Эргашев'],
  ['Sharipov', 'Шарипов'],
  ['Atayev', 'Атаев'],
  ['Kurbanov', 'Курбанов'],
  ['Temirov', 'Темиров'],
]
const TITLES = [
  'Head of Division, Export Control',
  'Third Secretary',
  'Counsellor; Non-proliferation Desk',
  'Chief Expert',
  'Deputy Director, "Strategic Goods" Department',
  'Senior Inspector',
]

const pad = (n: number) => String(n).padStart(2, '0')

export interface Person {
  p: number
  state: StateCode | null
  externalId: string
  givenName: string
  familyName: string
  nameOriginal: string | undefined
  honorific: string
  positionTitle: string
  email: string | undefined
  /** As stored (lower case). */
  emailStored: string | undefined
  emailPublic: boolean
  phone: string | undefined
  phoneE164: string | undefined
  phonePublic: boolean
}

export function person(p: number): Person {
  const intl = p >= 165
  const state = intl ? null : (STATES[p % STATES.length] as StateCode)
  const [given, givenCyr, female] = GIVEN[p % GIVEN.length] as [string, string, boolean]
  const [family, familyCyr] = FAMILY[Math.floor(p / GIVEN.length)] as [string, string]
  const hasEmail = !(p >= 30 && p % 23 === 0)
  const email = hasEmail ? `${given}.${family}.${p}@${DOMAINS[state ?? 'INTL']}` : undefined
  const [phone, phoneE164] = p % 4 === 3 ? [undefined, undefined] : PHONES[state ?? 'INTL'](p)
  return {
    p,
    state,
    externalId: `${(state ?? 'osce').toLowerCase()}-${String(p).padStart(3, '0')}`,
    givenName: given,
    familyName: family,
    nameOriginal: intl ? undefined : `${givenCyr} ${familyCyr}`,
    honorific: female ? 'Ms.' : 'Mr.',
    // Every 25th title spans two lines, as an Alt+Enter in a spreadsheet cell does.
    positionTitle:
      p % 25 === 0
        ? `${TITLES[p % TITLES.length]}\nNuclear Safety Unit`
        : (TITLES[p % TITLES.length] as string),
    email,
    emailStored: email?.toLowerCase(),
    emailPublic: p % 3 === 0,
    phone,
    phoneE164,
    phonePublic: p % 2 === 0,
  }
}

export interface Tenure {
  externalId: string
  state: string | null
  organization: string
  role: string
  startDate: string
  endDate: string | undefined
}

export const PEOPLE = 170
export const SECOND_ROLES = 30
/** 5 states × 4 organizations, and the OSCE Secretariat. */
export const ORGANIZATIONS = STATES.length * ORGS.length + 1
export const ROWS = PEOPLE + SECOND_ROLES

function personCells(x: Person, withExternalId: boolean, withPhone: boolean): Row {
  return {
    ...(withExternalId ? { externalId: x.externalId } : {}),
    honorific: x.honorific,
    givenName: x.givenName,
    familyName: x.familyName,
    ...(x.nameOriginal ? { nameOriginal: x.nameOriginal } : {}),
    positionTitle: x.positionTitle,
    ...(x.email ? { email: x.email } : {}),
    ...(withPhone && x.phone ? { phone: x.phone } : {}),
    ...(x.emailPublic
      ? { emailVisibility: 'public' }
      : x.p % 3 === 1
        ? { emailVisibility: 'restricted' }
        : {}),
    ...(x.phonePublic ? { phoneVisibility: 'public' } : {}),
  }
}

/** The tenure of each row, in row order. */
export function tenures(): Tenure[] {
  const out: Tenure[] = []
  for (let p = 0; p < PEOPLE; p++) {
    const x = person(p)
    const year = 2012 + (p % 12)
    out.push({
      externalId: x.externalId,
      state: x.state,
      organization: x.state ? (ORGS[Math.floor(p / 5) % ORGS.length] as string) : INTL_ORG,
      role: x.state ? (ROLES[p % ROLES.length] as string) : 'technical-poc',
      startDate: `${year}-${pad(1 + (p % 12))}-${pad(1 + (p % 28))}`,
      endDate: p % 10 === 9 ? `${year + 1}-${pad(1 + (p % 12))}-${pad(1 + (p % 28))}` : undefined,
    })
  }
  // Thirty people hold a second role (in their organization or the next one of their state).
  for (let p = 0; p < SECOND_ROLES; p++) {
    const x = person(p)
    const first = out[p] as Tenure
    out.push({
      externalId: x.externalId,
      state: x.state,
      organization:
        p % 2 === 0 ? first.organization : (ORGS[(Math.floor(p / 5) + 1) % ORGS.length] as string),
      role: ROLES[(p + 3) % ROLES.length] as string,
      startDate: `2024-${pad(1 + (p % 12))}-15`,
      endDate: undefined,
    })
  }
  return out
}

/**
 * The 200 rows: 170 people in 5 Central Asian states and the OSCE Secretariat, 21 organizations
 * named by many rows (a few spelled in another case and spacing), 30 people in two roles (half of
 * those second rows carry no externalId, so the person is matched by email).
 */
export function directoryRows(): Row[] {
  return tenures().map((t, i) => {
    const p = i < PEOPLE ? i : i - PEOPLE
    const x = person(p)
    const second = i >= PEOPLE
    const variant = !second && p >= 40 && p % 13 === 5
    return {
      ...(t.state ? { stateCode: t.state } : {}),
      organization: variant ? t.organization.toLowerCase().replace(/ of /, ' of  ') : t.organization,
      ...(t.state
        ? p % 2
          ? { organizationKind: 'government' }
          : {}
        : { organizationKind: 'international' }),
      role: t.role,
      ...personCells(x, !second || p < 15, !second || p % 2 === 0),
      startDate: t.startDate,
      ...(t.endDate ? { endDate: t.endDate } : {}),
    }
  })
}

export const ALL_COUNTS = { organizations: ORGANIZATIONS, contacts: PEOPLE, assignments: ROWS }
const ZERO = { organizations: 0, contacts: 0, assignments: 0 }
export const CREATED_ALL = { dryRun: false, created: ALL_COUNTS, updated: ZERO, unchanged: ZERO }
export const UNCHANGED_ALL = { dryRun: false, created: ZERO, updated: ZERO, unchanged: ALL_COUNTS }

export const result = (
  created: Partial<typeof ZERO> = {},
  updated: Partial<typeof ZERO> = {},
  unchanged: Partial<typeof ZERO> = {},
  dryRun = false,
) => ({
  dryRun,
  created: { ...ZERO, ...created },
  updated: { ...ZERO, ...updated },
  unchanged: { ...ZERO, ...unchanged },
})

// ---------------------------------------------------------------------------------------------
// Formats.

export interface CsvOptions {
  separator?: ',' | ';'
  eol?: '\n' | '\r\n'
  bom?: boolean
  columns?: readonly string[]
  /** Quote every cell, not only those that need it. */
  quoteAll?: boolean
}

/** Quotes a cell holding either separator, a quote or a line break (or every cell). */
export function csvCell(value: string, quoteAll = false): string {
  return quoteAll || /[",;\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

export function toCsv(rows: Row[], options: CsvOptions = {}): string {
  const { separator = ',', eol = '\n', bom = false, columns = COLUMNS, quoteAll = false } = options
  const lines = [columns.join(separator)]
  for (const row of rows) {
    lines.push(
      columns.map((c) => csvCell((row as Record<string, string>)[c] ?? '', quoteAll)).join(separator),
    )
  }
  return `${bom ? '\uFEFF' : ''}${lines.join(eol)}${eol}`
}

export const toNdjson = (rows: object[], blankLines = false): string =>
  rows.map((r, i) => `${JSON.stringify(r)}\n${blankLines && i % 3 === 0 ? '\n  \n' : ''}`).join('')

// ---------------------------------------------------------------------------------------------
// Requests and assertions.

export async function postImport(
  t: TestApp,
  body: string | object,
  contentType: string,
  headers: Headers,
  query = '',
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/v1/imports${query}`,
    headers: { ...headers, 'content-type': contentType },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** An import that must answer 200; answers its body. */
export async function importOk(
  t: TestApp,
  body: string | object,
  contentType: string,
  headers: Headers,
  query = '',
): Promise<Json> {
  const res = await postImport(t, body, contentType, headers, query)
  expect(res.statusCode, res.body).toBe(200)
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  return res.json() as Json
}

export const importCsv = (t: TestApp, rows: Row[], headers: Headers, query = '') =>
  importOk(t, toCsv(rows), 'text/csv', headers, query)

/** Asserts an RFC 9457 problem+json answer with `status` and returns its body. */
export const expectProblem = (res: LightMyRequestResponse, status: number): Json => problemBody(res, status)

/** Sends a request that must be refused with `status` and proves it wrote nothing. */
export const expectRejected = (t: TestApp, request: InjectOptions, status: number) =>
  refusedWithoutWrites(t, request, (res) => problemBody(res, status))

export const importRequest = (
  body: string | object,
  contentType: string,
  headers: Headers,
  query = '',
): InjectOptions => ({
  method: 'POST',
  url: `/v1/imports${query}`,
  headers: { ...headers, 'content-type': contentType },
  payload: typeof body === 'string' ? body : JSON.stringify(body),
})

export function count(t: TestApp, table: string): number {
  return (t.db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n
}

/**
 * What an import stored, without ids and timestamps, so two imports of the same data in
 * different formats can be compared.
 */
export function storedDirectory(t: TestApp): unknown {
  const db = t.db.$client
  const contacts = db
    .prepare(
      `select external_id, honorific, given_name, family_name, display_name, name_original, name_latin,
              position_title, contact_details, version from contacts order by external_id`,
    )
    .all()
  const organizations = db
    .prepare('select name, kind, state_code, version from organizations order by state_code, name')
    .all()
  const assignments = db
    .prepare(
      `select c.external_id, r.key as role, o.name as organization, a.state_code, a.start_date, a.end_date,
              a.is_primary, a.version
         from assignments a join contacts c on c.id = a.contact_id join roles r on r.id = a.role_id
         join organizations o on o.id = a.organization_id
        order by c.external_id, r.key, a.start_date`,
    )
    .all()
  const revisions = db
    .prepare(
      `select action, entity, count(*) as n from revisions where actor <> 'system:seed'
        group by action, entity order by action, entity`,
    )
    .all()
  return { contacts, organizations, assignments, revisions }
}
