import { useEffect, useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { api, describeProblem, type Schemas } from '../api'
import { writeDenied } from '../records/access'
import { formatInstant } from '../records/format'
import { VerifyButton } from '../records/verify'
import { useSession } from '../session'
import { useTitle } from '../title'

type Stale = Schemas['StaleRecords']

const PERIODS = [
  ['P30D', '30 days'],
  ['P6M', '6 months'],
  ['P12M', '12 months'],
  ['P2Y', '2 years'],
] as const

/** Records not verified within a period (stalest first), each verifiable in one click. */
export function StalePage() {
  useTitle('Stale records')
  const session = useSession()
  const { query, route } = useLocation()
  const olderThan = query.olderThan || 'P12M'
  const [stale, setStale] = useState<Stale | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [verified, setVerified] = useState<Record<string, string>>({})

  useEffect(() => {
    setStale(null)
    setError(null)
    api.GET('/v1/reports/stale', { params: { query: { olderThan, limit: 100 } } }).then(({ data, error }) => {
      if (data) setStale(data)
      else setError(describeProblem(error))
    })
  }, [olderThan])

  async function more(cursor: string) {
    const { data, error } = await api.GET('/v1/reports/stale', {
      params: { query: { olderThan, limit: 100, cursor } },
    })
    if (data && stale) setStale({ items: [...stale.items, ...data.items], nextCursor: data.nextCursor })
    else setError(describeProblem(error))
  }

  const denied = writeDenied(session)
  return (
    <>
      <h1>Stale records</h1>
      <p>
        Contacts and organizations whose last verification (or creation, if never verified) is older than:
      </p>
      <label for="period">Period</label>
      <select
        id="period"
        value={olderThan}
        onChange={(e) => route(`/console/stale?olderThan=${encodeURIComponent(e.currentTarget.value)}`)}
      >
        {PERIODS.some(([p]) => p === olderThan) ? null : <option value={olderThan}>{olderThan}</option>}
        {PERIODS.map(([p, label]) => (
          <option key={p} value={p}>
            {label}
          </option>
        ))}
      </select>
      {error ? <p role="alert">{error}</p> : null}
      {!stale ? (
        <p>Loading…</p>
      ) : stale.items.length === 0 ? (
        <p data-testid="stale-empty">Nothing is stale: every record was verified within the period.</p>
      ) : (
        <table class="list" data-testid="stale">
          <caption class="visually-hidden">Stale records, stalest first</caption>
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Kind</th>
              <th scope="col">Last verified</th>
              <th scope="col">Verify</th>
            </tr>
          </thead>
          <tbody>
            {stale.items.map((s) => (
              <tr key={s.id}>
                <td>
                  <a href={`/console/${s.entity === 'contact' ? 'contacts' : 'organizations'}/${s.id}`}>
                    {s.name}
                  </a>
                </td>
                <td>{s.entity}</td>
                <td>
                  {verified[s.id]
                    ? formatInstant(verified[s.id] as string)
                    : s.lastVerifiedAt
                      ? formatInstant(s.lastVerifiedAt)
                      : 'never'}
                </td>
                <td>
                  <VerifyButton
                    entity={s.entity}
                    id={s.id}
                    denied={verified[s.id] ? 'Verified.' : denied}
                    label={`Verified today: ${s.name}`}
                    onVerified={(at) => setVerified({ ...verified, [s.id]: at })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {stale?.nextCursor ? (
        <button type="button" class="secondary" onClick={() => void more(stale.nextCursor as string)}>
          Show more
        </button>
      ) : null}
    </>
  )
}
