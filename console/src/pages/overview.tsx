import { useEffect, useMemo, useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { api, describeProblem, type Schemas } from '../api'
import { useTitle } from '../title'
import './overview.css'

type WorldMapComponent = typeof import('../world-map').default
let worldMap: Promise<WorldMapComponent> | undefined

/**
 * The map's code and data (most of the console's weight) load in parallel with the API calls;
 * the totals and the table do not wait for them (a suspending lazy() would hold the whole page).
 */
function useWorldMap(): WorldMapComponent | null {
  const [component, setComponent] = useState<WorldMapComponent | null>(null)
  useEffect(() => {
    worldMap ??= import('../world-map').then((m) => m.default)
    worldMap.then((c) => setComponent(() => c))
  }, [])
  return component
}

type Coverage = Schemas['Coverage']
type Contact = Schemas['Contact']
type Status = 'covered' | 'stale' | 'vacant'

const PERIODS = [6, 12, 24] as const
const STATUS_TEXT: Record<Status, string> = {
  covered: 'National PoC, verified',
  stale: 'National PoC, not verified',
  vacant: 'Vacant',
}

/** Coverage of every state (one call), or of the OSCE participating States (one more, on demand). */
function useCoverage(osce: boolean) {
  const [pages, setPages] = useState<Partial<Record<'all' | 'osce', Coverage>>>({})
  const [error, setError] = useState<string | null>(null)
  const key = osce ? 'osce' : 'all'
  useEffect(() => {
    if (pages[key]) return
    api
      .GET('/v1/reports/coverage', { params: { query: { limit: 500, ...(osce ? { osce: 'true' } : {}) } } })
      .then(({ data, error: problem }) => {
        if (data) setPages((p) => ({ ...p, [key]: data }))
        else setError(describeProblem(problem))
      })
  }, [key, osce, pages])
  return { coverage: pages[key] ?? null, error }
}

/** Today's national PoCs of every state with their contacts (for verification dates): one call. */
function useNationalPocs() {
  const [holders, setHolders] = useState<Map<string, Contact[]> | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    api
      .GET('/v1/directory', { params: { query: { role: 'national-poc', limit: 500 } } })
      .then(({ data, error: problem }) => {
        if (!data || typeof data !== 'object') {
          setError(describeProblem(problem))
          return
        }
        const byState = new Map<string, Contact[]>()
        for (const entry of data.items) {
          const code = entry.assignment.stateCode
          if (!code) continue
          byState.set(code, [...(byState.get(code) ?? []), entry.contact])
        }
        setHolders(byState)
      })
  }, [])
  return { holders, error }
}

const verifiedAt = (c: Contact) => c.lastVerifiedAt ?? c.createdAt

export function Overview() {
  useTitle('Overview')
  const { route } = useLocation()
  const [osce, setOsce] = useState(false)
  const [months, setMonths] = useState<number>(12)
  const { coverage, error: coverageError } = useCoverage(osce)
  const { holders, error: holdersError } = useNationalPocs()
  const WorldMap = useWorldMap()

  const rows = useMemo(() => {
    if (!coverage) return null
    const cutoff = new Date()
    cutoff.setMonth(cutoff.getMonth() - months)
    const since = cutoff.toISOString()
    return coverage.items
      .map((s) => {
        const vacant = s.roles.every((r) => r.vacant)
        const pocs = holders?.get(s.stateCode) ?? []
        // Stale: every current holder's record was last verified (or, never verified, created) before the cutoff.
        const stale = !vacant && pocs.length > 0 && pocs.every((c) => verifiedAt(c) < since)
        const status: Status = vacant ? 'vacant' : stale ? 'stale' : 'covered'
        return { code: s.stateCode, name: s.name, status, pocs }
      })
      .sort((a, b) => a.name.localeCompare(b.name))
  }, [coverage, holders, months])

  const byCode = useMemo(() => new Map((rows ?? []).map((r) => [r.code, r])), [rows])
  const count = (status: Status) => rows?.filter((r) => r.status === status).length ?? 0
  const error = coverageError ?? holdersError
  const scope = osce ? 'OSCE participating States' : 'states'
  const summary = rows
    ? `${rows.length} ${scope}: ${count('covered')} with a verified national PoC, ${count('stale')} not verified within ${months} months, ${count('vacant')} vacant`
    : 'Loading'

  return (
    <>
      <h1>Overview</h1>
      {error ? <p role="alert">{error}</p> : null}
      <div class="overview-controls">
        <div>
          <input
            id="osce-only"
            type="checkbox"
            checked={osce}
            onChange={(e) => setOsce(e.currentTarget.checked)}
          />{' '}
          <label for="osce-only">OSCE participating States only</label>
        </div>
        <div>
          <label for="stale-period">Stale when not verified within</label>
          <select id="stale-period" value={months} onChange={(e) => setMonths(Number(e.currentTarget.value))}>
            {PERIODS.map((m) => (
              <option key={m} value={m}>
                {m} months
              </option>
            ))}
          </select>
        </div>
      </div>
      {rows ? (
        <ul class="totals" data-testid="totals" aria-label="Totals">
          <li>
            <strong>{rows.length}</strong> {scope}
          </li>
          <li>
            <strong>{count('covered')}</strong> national PoC verified
          </li>
          <li>
            <strong>{count('stale')}</strong> not verified within {months} months
          </li>
          <li>
            <strong>{count('vacant')}</strong> vacant
          </li>
        </ul>
      ) : (
        <p>Loading…</p>
      )}
      <ul class="legend" aria-hidden="true">
        {(['covered', 'stale', 'vacant'] as const).map((s) => (
          <li key={s}>
            <span class={`swatch ${s}`} />
            {STATUS_TEXT[s]}
          </li>
        ))}
      </ul>
      {rows && WorldMap ? (
        <WorldMap
          summary={`World map of ${summary}`}
          classOf={(code) => byCode.get(code)?.status ?? (osce ? 'filtered' : undefined)}
          labelOf={(code) => {
            const r = byCode.get(code)
            return r ? `${r.name}: ${STATUS_TEXT[r.status]}` : undefined
          }}
          onSelect={(code) => route(`/console/states/${code}`)}
        />
      ) : null}
      {rows ? (
        <table class="states">
          <caption class="visually-hidden">National PoC of each of the {scope}</caption>
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Status</th>
              <th scope="col" class="optional">
                National PoC
              </th>
              <th scope="col" class="optional">
                Last verified
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.code} data-code={r.code}>
                <td>
                  <a href={`/console/states/${r.code}`}>{r.name}</a>
                </td>
                <td>
                  <span class={`status ${r.status}`}>{STATUS_TEXT[r.status]}</span>
                </td>
                <td class="optional">{r.pocs.map((c) => c.displayName).join('; ')}</td>
                <td class="optional">
                  {r.pocs.map((c) => c.lastVerifiedAt?.slice(0, 10) ?? 'never').join('; ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  )
}
