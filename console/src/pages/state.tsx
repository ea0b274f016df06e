import { useEffect, useState } from 'preact/hooks'
import { api, describeProblem, type Schemas } from '../api'
import { useTitle } from '../title'

export function StatePage({ code }: { code: string }) {
  const [directory, setDirectory] = useState<Schemas['Directory'] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useTitle(directory?.state?.name ?? code)
  useEffect(() => {
    api.GET('/v1/directory', { params: { query: { state: code, limit: 100 } } }).then(({ data, error }) => {
      // The directory also answers CSV and vCard; the console asks for (and gets) JSON.
      if (data && typeof data === 'object') setDirectory(data)
      else setError(describeProblem(error))
    })
  }, [code])
  return (
    <>
      <h1>{directory?.state?.name ?? code}</h1>
      {error ? <p role="alert">{error}</p> : null}
      <ul>
        {directory?.items.map((e) => (
          <li key={e.assignment.id}>
            {e.role.name}: {e.contact.displayName}
          </li>
        ))}
      </ul>
    </>
  )
}
