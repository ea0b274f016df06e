import { useCallback, useEffect, useState } from 'preact/hooks'
import { api, describeProblem, type Schemas } from '../api'
import { HandoverForm } from '../handover-form'
import { ExportButton } from '../records/download'
import { canReadRestricted, mayChangeState, useSession } from '../session'
import { useTitle } from '../title'
import './state.css'

type Directory = Schemas['Directory']
type Entry = Directory['items'][number]
type Role = Schemas['Role']
type Assignment = Schemas['Assignment']
type Contact = Schemas['Contact']

const today = () => new Date().toISOString().slice(0, 10)

/**
 * A state's directory on a day (default today) by role, primary holder first, with vacancies;
 * its organizations. Three calls: the directory, the roles, the organizations. Each post's
 * succession is loaded when asked for (two calls: the state's tenures and their holders).
 */
export function StatePage({ code }: { code: string }) {
  const session = useSession()
  const [asOf, setAsOf] = useState(today())
  const [directory, setDirectory] = useState<Directory | null>(null)
  const [roles, setRoles] = useState<Role[] | null>(null)
  const [organizations, setOrganizations] = useState<Schemas['Organization'][] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [succession, setSuccession] = useState<{
    tenures: Assignment[]
    people: Map<string, Contact>
  } | null>(null)
  const [handingOver, setHandingOver] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  useTitle(directory?.state?.name ?? code)

  const loadDirectory = useCallback(async () => {
    const { data, error: problem } = await api.GET('/v1/directory', {
      params: { query: { state: code, asOf, limit: 500 } },
    })
    // The directory also answers CSV and vCard; the console asks for (and gets) JSON.
    if (data && typeof data === 'object') setDirectory(data)
    else setError(describeProblem(problem))
  }, [code, asOf])

  const loadSuccession = useCallback(async () => {
    const [tenures, people] = await Promise.all([
      api.GET('/v1/assignments', { params: { query: { state: code, limit: 500 } } }),
      api.GET('/v1/contacts', { params: { query: { state: code, current: 'false', limit: 500 } } }),
    ])
    // Contacts also answer CSV and vCard; the console asks for (and gets) JSON.
    if (!tenures.data || !people.data || typeof people.data !== 'object') {
      setError(describeProblem(tenures.error ?? people.error))
      return
    }
    setSuccession({ tenures: tenures.data.items, people: new Map(people.data.items.map((c) => [c.id, c])) })
  }, [code])

  useEffect(() => {
    loadDirectory()
  }, [loadDirectory])

  useEffect(() => {
    setSuccession(null)
    api.GET('/v1/roles', { params: { query: { limit: 100 } } }).then(({ data, error: problem }) => {
      if (data) setRoles(data.items)
      else setError(describeProblem(problem))
    })
    api
      .GET('/v1/organizations', { params: { query: { state: code, limit: 500 } } })
      .then(({ data, error: problem }) => {
        if (data) setOrganizations(data.items)
        else setError(describeProblem(problem))
      })
  }, [code])

  const byRole = new Map<string, Entry[]>()
  for (const e of directory?.items ?? []) byRole.set(e.role.id, [...(byRole.get(e.role.id) ?? []), e])
  const mayEdit = mayChangeState(session, code)
  const editReason = !session
    ? null
    : !session.scopes.has('directory:write')
      ? 'Your token may only read (it lacks directory:write).'
      : `Your token may change records of ${session.states?.join(', ')} only.`
  const showRestricted = canReadRestricted(session)

  return (
    <>
      <p class="breadcrumb">
        <a href="/console/">Overview</a>
      </p>
      <h1>{directory?.state?.name ?? code}</h1>
      {error ? <p role="alert">{error}</p> : null}
      {notice ? (
        <p class="notice" role="status" data-testid="notice">
          {notice}
        </p>
      ) : null}
      <div class="as-of">
        <label for="as-of">Directory as of</label>
        <input
          id="as-of"
          type="date"
          value={asOf}
          onChange={(e) => {
            const value = e.currentTarget.value
            if (/^\d{4}-\d{2}-\d{2}$/.test(value)) setAsOf(value)
          }}
        />
        {asOf !== today() ? (
          <button type="button" class="secondary" onClick={() => setAsOf(today())}>
            Today
          </button>
        ) : null}
      </div>
      <div class="toolbar">
        <ExportButton
          label="Export directory (CSV)"
          fallback={`directory-${code}.csv`}
          fetcher={() =>
            api.GET('/v1/directory', {
              params: { query: { state: code, asOf } },
              headers: { accept: 'text/csv' },
              parseAs: 'blob',
            })
          }
        />
        <ExportButton
          label="Export contacts (vCard)"
          fallback={`contacts-${code}.vcf`}
          fetcher={() =>
            api.GET('/v1/contacts', {
              params: { query: { state: code } },
              headers: { accept: 'text/vcard' },
              parseAs: 'blob',
            })
          }
        />
      </div>
      {!session ? (
        <p class="hint">
          You see the public view. Sign in to see restricted contact details and to make changes.
        </p>
      ) : null}

      <h2>Posts</h2>
      {!directory || !roles ? <p>Loading…</p> : null}
      {directory && roles ? (
        <ul class="posts">
          {roles.map((role) => {
            const holders = byRole.get(role.id) ?? []
            const tenures = succession?.tenures
              .filter((a) => a.roleId === role.id)
              .sort((a, b) => b.startDate.localeCompare(a.startDate))
            if (holders.length === 0 && role.key !== 'national-poc' && !tenures?.length) return null
            return (
              <li key={role.id} class="post" data-role={role.key}>
                <h3>{role.name}</h3>
                {holders.length === 0 ? (
                  <p class="status vacant">Vacant{asOf !== today() ? ` on ${asOf}` : ''}</p>
                ) : (
                  holders.map((e) => (
                    <div key={e.assignment.id} class="holder" data-testid={`holder-${role.key}`}>
                      <p>
                        <a href={`/console/contacts/${e.contact.id}`}>{e.contact.displayName}</a>
                        {e.assignment.isPrimary ? <span class="tag">primary</span> : null}
                        {e.contact.positionTitle ? (
                          <span class="muted">, {e.contact.positionTitle}</span>
                        ) : null}
                        {e.organization ? (
                          <>
                            {' · '}
                            <a href={`/console/organizations/${e.organization.id}`}>{e.organization.name}</a>
                          </>
                        ) : null}
                      </p>
                      <p class="muted">
                        Since {e.assignment.startDate}
                        {e.assignment.designationRef ? ` · ${e.assignment.designationRef}` : ''}
                      </p>
                      {e.contact.contactDetails.length > 0 ? (
                        <ul class="details">
                          {e.contact.contactDetails.map((d) => (
                            <li key={`${d.type}${d.value}`}>
                              {d.type}: {d.value}
                              {d.visibility === 'restricted' ? <span class="tag">restricted</span> : null}
                            </li>
                          ))}
                        </ul>
                      ) : null}
                      {showRestricted && e.contact.notes ? (
                        <p class="notes">Notes: {e.contact.notes}</p>
                      ) : null}
                      {session && e.assignment.endDate === null && asOf === today() ? (
                        mayEdit ? (
                          handingOver === e.assignment.id ? (
                            <HandoverForm
                              assignment={e.assignment}
                              current={e.contact}
                              onCancel={() => setHandingOver(null)}
                              onDone={async (successor) => {
                                // The notice is shown once the page shows the new holder and
                                // the succession, never beside the old holder.
                                await Promise.all([loadDirectory(), loadSuccession()])
                                setHandingOver(null)
                                setNotice(`${successor.displayName} now holds ${role.name}.`)
                              }}
                            />
                          ) : (
                            <button type="button" onClick={() => setHandingOver(e.assignment.id)}>
                              Hand over<span class="visually-hidden"> {role.name}</span>
                            </button>
                          )
                        ) : (
                          <p class="hint">
                            <button type="button" disabled aria-describedby={`why-${e.assignment.id}`}>
                              Hand over<span class="visually-hidden"> {role.name}</span>
                            </button>{' '}
                            <span id={`why-${e.assignment.id}`}>{editReason}</span>
                          </p>
                        )
                      ) : null}
                    </div>
                  ))
                )}
                {tenures ? (
                  <section class="succession" aria-label={`Succession: ${role.name}`}>
                    <h4>Succession</h4>
                    <ol data-testid={`succession-${role.key}`}>
                      {tenures.map((a) => (
                        <li key={a.id}>
                          {a.startDate} – {a.endDate ?? 'now'}:{' '}
                          <a href={`/console/contacts/${a.contactId}`}>
                            {succession?.people.get(a.contactId)?.displayName ?? 'unknown'}
                          </a>
                          {a.endReason ? ` (${a.endReason})` : ''}
                        </li>
                      ))}
                    </ol>
                  </section>
                ) : null}
              </li>
            )
          })}
        </ul>
      ) : null}
      {directory && !succession ? (
        <button type="button" class="secondary" onClick={() => loadSuccession()}>
          Show each post's succession
        </button>
      ) : null}

      <h2>Organizations</h2>
      {organizations ? (
        organizations.length === 0 ? (
          <p>No organizations of this state yet.</p>
        ) : (
          <ul data-testid="organizations">
            {organizations.map((o) => (
              <li key={o.id}>
                <a href={`/console/organizations/${o.id}`}>{o.name}</a>
                {o.acronym ? ` (${o.acronym})` : ''}
              </li>
            ))}
          </ul>
        )
      ) : (
        <p>Loading…</p>
      )}
    </>
  )
}
