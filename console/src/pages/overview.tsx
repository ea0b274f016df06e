import { useEffect, useState } from 'preact/hooks'
import { api, describeProblem, type Schemas } from '../api'
import { useTitle } from '../title'

type Coverage = Schemas['Coverage']

export function Overview() {
  useTitle('Overview')
  const [coverage, setCoverage] = useState<Coverage | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    api.GET('/v1/reports/coverage', { params: { query: { limit: 500 } } }).then(({ data, error }) => {
      if (data) setCoverage(data)
      else setError(describeProblem(error))
    })
  }, [])
  const vacant = coverage?.items.filter((s) => s.roles.some((r) => r.vacant)).length ?? 0
  return (
    <>
      <h1>Overview</h1>
      {error ? <p role="alert">{error}</p> : null}
      {coverage ? (
        <p data-testid="totals">
          {coverage.items.length} states, {coverage.items.length - vacant} with a national PoC, {vacant}{' '}
          vacant
        </p>
      ) : (
        <p>Loading…</p>
      )}
    </>
  )
}
