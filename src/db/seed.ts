import { createRequire } from 'node:module'
import type { Countries } from 'world-countries'
import { lazy } from '../lib/lazy.js'
import { createRecord, newId, type WriteContext } from '../lib/write-path.js'
import type { Db } from './client.js'
import { roles, states } from './schema.js'

// The package is CommonJS (module.exports = the array), 1.4 MB of JSON: loaded only when the
// database was not seeded from this very version (parsing it is about 35 ms of every start-up).
const countries = lazy<Countries>('world-countries')
const { version: countriesVersion } = createRequire(import.meta.url)('world-countries/package.json') as {
  version: string
}

/** The 57 OSCE participating States (DESIGN.md). */
export const OSCE_PARTICIPATING = new Set(
  'AL AD AM AT AZ BY BE BA BG CA HR CY CZ DK EE FI FR GE DE GR VA HU IS IE IT KZ KG LV LI LT LU MT MD MC MN ME NL MK NO PL PT RO RU SM RS SK SI ES SE CH TJ TR TM UA GB US UZ'.split(
    ' ',
  ),
)

/** world-countries keys translations by ISO 639-3; the API speaks BCP 47. */
const LANGUAGE_TAGS: Record<string, string> = {
  ara: 'ar',
  ces: 'cs',
  deu: 'de',
  est: 'et',
  fin: 'fi',
  fra: 'fr',
  hrv: 'hr',
  hun: 'hu',
  ita: 'it',
  jpn: 'ja',
  kor: 'ko',
  nld: 'nl',
  per: 'fa',
  pol: 'pl',
  por: 'pt',
  rus: 'ru',
  slk: 'sk',
  spa: 'es',
  srp: 'sr',
  swe: 'sv',
  tur: 'tr',
  urd: 'ur',
  zho: 'zh',
}

export const DEFAULT_ROLES = [
  [
    'national-poc',
    'National point of contact',
    'The PoC in the capital designated to the 1540 Committee',
    'general',
  ],
  [
    'mission-poc',
    'Permanent Mission point of contact',
    'The PoC at the Permanent Mission to the United Nations in New York',
    'general',
  ],
  ['alternate-poc', 'Alternate point of contact', 'Stands in for the national PoC', 'general'],
  [
    'technical-poc',
    'Technical point of contact',
    'Technical expert on implementation of resolution 1540',
    'general',
  ],
  ['nuclear-poc', 'Nuclear security point of contact', 'Nuclear and radiological materials', 'nuclear'],
  [
    'chemical-poc',
    'Chemical weapons point of contact',
    'Chemical weapons convention national authority',
    'chemical',
  ],
  [
    'biological-poc',
    'Biological weapons point of contact',
    'Biological weapons convention national contact',
    'biological',
  ],
  [
    'export-control-poc',
    'Export control point of contact',
    'Export and transshipment controls',
    'export-control',
  ],
  ['border-poc', 'Border security point of contact', 'Border and customs enforcement', 'border'],
  ['finance-poc', 'Financial controls point of contact', 'Proliferation financing controls', 'finance'],
  ['legal-poc', 'Legal point of contact', 'National legislation and legal assistance', 'legal'],
] as const

const SEED: WriteContext = { actor: 'system:seed', requestId: 'seed' }

/**
 * What a complete seed was made from, kept in `settings` (`seeded-from`): a start-up that finds
 * the same source skips the seed. A newer package (a new member State) or a new default role
 * changes it, and the seed runs again, adding only what is absent.
 */
export const seedSource = () =>
  `world-countries ${countriesVersion}; roles ${DEFAULT_ROLES.map(([key]) => key).join(' ')}`

const SEEDED_FROM = 'seeded-from'

/** Loads the states and the default roles that are absent; running it twice changes nothing. */
export function seed(db: Db): { states: number; roles: number } {
  const source = seedSource()
  const seededFrom = db.$client.prepare('select value from settings where name = ?').pluck().get(SEEDED_FROM)
  if (seededFrom === source) return { states: 0, roles: 0 }
  return db.transaction((tx) => {
    const haveStates = new Set(
      tx
        .select({ code: states.code })
        .from(states)
        .all()
        .map((r) => r.code),
    )
    const haveRoles = new Set(
      tx
        .select({ key: roles.key })
        .from(roles)
        .all()
        .map((r) => r.key),
    )
    let addedStates = 0
    let addedRoles = 0
    const members = countries()
      .filter((c) => c.unMember || c.cca2 === 'VA')
      .sort((a, b) => a.cca2.localeCompare(b.cca2))
    for (const c of members) {
      if (haveStates.has(c.cca2)) continue
      const names: Record<string, string> = { en: c.name.common }
      for (const [iso3, t] of Object.entries(c.translations)) {
        const tag = LANGUAGE_TAGS[iso3]
        if (tag) names[tag] = t.common
      }
      createRecord(tx, SEED, 'state', {
        code: c.cca2,
        iso3: c.cca3,
        name: c.name.common,
        officialName: c.name.official,
        names,
        // The Holy See is a non-member observer State; the package marks it otherwise.
        unMember: c.cca2 !== 'VA',
        osceParticipating: OSCE_PARTICIPATING.has(c.cca2),
      })
      addedStates++
    }
    for (const [key, name, description, domain] of DEFAULT_ROLES) {
      if (haveRoles.has(key)) continue
      createRecord(tx, SEED, 'role', { id: newId(), key, name, description, domain })
      addedRoles++
    }
    db.$client
      .prepare(
        'insert into settings (name, value) values (?, ?) on conflict (name) do update set value = excluded.value',
      )
      .run(SEEDED_FROM, source)
    return { states: addedStates, roles: addedRoles }
  })
}
