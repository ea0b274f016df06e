/**
 * A realistic, deterministic data set for benchmarks and large-import tests: directory rows
 * across all seeded states, Cyrillic and Latin names, several roles, about half the tenures
 * ended. Same seed, same rows.
 */
import { IMPORT_COLUMNS } from '../src/modules/imports/imports-schemas.js'

const CYRILLIC_GIVEN = [
  'Асан',
  'Айгүл',
  'Бакыт',
  'Ерлан',
  'Дана',
  'Нурлан',
  'Гульнара',
  'Тимур',
  'Алия',
  'Рустам',
]
const CYRILLIC_FAMILY = [
  'Жумабеков',
  'Садыкова',
  'Осмонов',
  'Искакова',
  'Ахметов',
  'Юсупова',
  'Шевченко',
  'Ковалёв',
]
const LATIN_GIVEN = ['Jean', 'Maria', 'Ahmed', 'Li', 'Anna', 'Carlos', 'Fatima', 'John', 'Olga', 'Pierre']
const LATIN_FAMILY = [
  'Dupont',
  'García',
  'Haddad',
  'Wang',
  'Novak',
  'Silva',
  'Okafor',
  'Smith',
  'Müller',
  'Rossi',
]
const CYRILLIC_STATES = new Set(['KG', 'KZ', 'TJ', 'UZ', 'RU', 'BY', 'UA', 'MN', 'RS', 'BG', 'MK'])
const ROLES = [
  'national-poc',
  'alternate-poc',
  'mission-poc',
  'technical-poc',
  'nuclear-poc',
  'export-control-poc',
]
const MINISTRIES = [
  'Ministry of Foreign Affairs',
  'Ministry of Defence',
  'Ministry of Interior',
  'Customs Service',
  'Nuclear Regulatory Authority',
  'Ministry of Health',
  'Financial Intelligence Unit',
  'Border Service',
]

/** A small deterministic PRNG (mulberry32). */
function random(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const TRANSLIT: Record<string, string> = {
  Асан: 'Asan',
  Айгүл: 'Aigul',
  Бакыт: 'Bakyt',
  Ерлан: 'Yerlan',
  Дана: 'Dana',
  Нурлан: 'Nurlan',
  Гульнара: 'Gulnara',
  Тимур: 'Timur',
  Алия: 'Aliya',
  Рустам: 'Rustam',
  Жумабеков: 'Zhumabekov',
  Садыкова: 'Sadykova',
  Осмонов: 'Osmonov',
  Искакова: 'Iskakova',
  Ахметов: 'Akhmetov',
  Юсупова: 'Yusupova',
  Шевченко: 'Shevchenko',
  Ковалёв: 'Kovalyov',
}

export type Row = Record<(typeof IMPORT_COLUMNS)[number], string>

/**
 * `people` persons, each with `tenuresPerPerson` tenures (the earlier ones ended), spread over
 * `organizationsPerState` organizations in each of `states`.
 */
export function directoryRows(opts: {
  states: string[]
  people: number
  tenuresPerPerson: number
  organizationsPerState: number
  seed?: number
}): Row[] {
  const rnd = random(opts.seed ?? 1540)
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  const rows: Row[] = []
  for (let p = 0; p < opts.people; p++) {
    const state = opts.states[p % opts.states.length] as string
    const cyrillic = CYRILLIC_STATES.has(state)
    const given = cyrillic ? pick(CYRILLIC_GIVEN) : pick(LATIN_GIVEN)
    const family = cyrillic ? pick(CYRILLIC_FAMILY) : pick(LATIN_FAMILY)
    const givenLatin = TRANSLIT[given] ?? given
    const familyLatin = TRANSLIT[family] ?? family
    const orgIndex = Math.floor(rnd() * opts.organizationsPerState)
    const organization = `${MINISTRIES[orgIndex % MINISTRIES.length]}${orgIndex >= MINISTRIES.length ? ` ${Math.floor(orgIndex / MINISTRIES.length) + 1}` : ''}`
    // One person, one set of details across their tenures (an import refuses rows that disagree).
    const honorific = rnd() < 0.5 ? 'Mr.' : 'Ms.'
    const positionTitle = pick([
      'Director',
      'Head of Division',
      'Counsellor',
      'Chief Expert',
      'Third Secretary',
    ])
    const emailVisibility = rnd() < 0.3 ? 'public' : 'restricted'
    for (let t = 0; t < opts.tenuresPerPerson; t++) {
      const year = 2010 + t * 4 + Math.floor(rnd() * 3)
      const ended = t < opts.tenuresPerPerson - 1
      rows.push({
        stateCode: state,
        organization,
        organizationKind: 'government',
        role: ROLES[(p + t) % ROLES.length] as string,
        externalId: `p-${p}`,
        honorific,
        givenName: givenLatin,
        familyName: familyLatin,
        nameOriginal: cyrillic ? `${given} ${family}` : '',
        positionTitle,
        email: `${givenLatin}.${familyLatin}.${p}@example.gov`
          .toLowerCase()
          .normalize('NFD')
          .replace(/[^\x20-\x7e]/g, ''),
        phone: `+41 22 ${String(7000000 + p).slice(0, 3)} ${String(7000000 + p).slice(3)}`,
        startDate: `${year}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`,
        endDate: ended ? `${year + 3}-06-30` : '',
        emailVisibility,
        phoneVisibility: 'restricted',
      })
    }
  }
  return rows
}

export function toCsv(rows: Row[]): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
  return [
    IMPORT_COLUMNS.join(','),
    ...rows.map((r) => IMPORT_COLUMNS.map((c) => quote(r[c])).join(',')),
  ].join('\n')
}
