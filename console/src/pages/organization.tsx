import { useEffect, useState } from 'preact/hooks'
import { api, describeProblem, type Schemas } from '../api'
import { stateDenied } from '../records/access'
import { ExportButton } from '../records/download'
import { EditButton } from '../records/edit-button'
import { EditForm, type FieldSpec } from '../records/edit-form'
import { fieldLabel, formatInstant, formatValue } from '../records/format'
import { useNames } from '../records/labels'
import { ASSIGNMENT_FIELDS, isCurrent } from '../records/tenures'
import { Timeline } from '../records/timeline'
import { VerifyButton } from '../records/verify'
import { useSession } from '../session'
import { useTitle } from '../title'

type Organization = Schemas['Organization']
type Assignment = Schemas['Assignment']

const KINDS = ['government', 'international', 'regional', 'ngo', 'academic', 'other'] as const
const FIELDS: readonly FieldSpec[] = [
  { name: 'name', required: true },
  { name: 'acronym' },
  { name: 'kind', kind: 'select', options: KINDS, required: true },
  { name: 'website' },
  { name: 'externalId' },
  { name: 'contactDetails', kind: 'details' },
]

/** The organization page: details, its people's tenures, history; three API calls to render. */
export function OrganizationPage({ id }: { id: string }) {
  const session = useSession()
  const [org, setOrg] = useState<Organization | null>(null)
  const [tenures, setTenures] = useState<Assignment[]>([])
  const [history, setHistory] = useState<Schemas['RevisionList'] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [editing, setEditing] = useState<string | null>(null)
  const [reload, setReload] = useState(0)
  useTitle(org?.name ?? 'Organization')

  useEffect(() => {
    let live = true
    Promise.all([
      api.GET('/v1/organizations/{id}', { params: { path: { id } } }),
      api.GET('/v1/assignments', { params: { query: { organization: id, limit: 500 } } }),
      api.GET('/v1/organizations/{id}/history', { params: { path: { id }, query: { limit: 100 } } }),
    ]).then(([o, a, h]) => {
      if (!live) return
      if (o.data && typeof o.data === 'object') setOrg(o.data)
      else setError(describeProblem(o.error))
      if (a.data && typeof a.data === 'object') setTenures(a.data.items)
      if (h.data) setHistory(h.data)
    })
    return () => {
      live = false
    }
  }, [id, reload])

  const names = useNames(
    tenures.flatMap((t) => [['role', t.roleId] as const, ['contact', t.contactId] as const]),
  )

  if (!org) {
    return (
      <>
        <h1>Organization</h1>
        {error ? <p role="alert">{error}</p> : <p>Loading…</p>}
      </>
    )
  }
  const denied = stateDenied(session, org.stateCode)
  const saved = () => {
    setEditing(null)
    setReload((r) => r + 1)
  }
  const tenure = (t: Assignment) => (
    <li key={t.id} class="tenure">
      <p>
        <a href={`/console/contacts/${t.contactId}`}>{names('contact', t.contactId)}</a>,{' '}
        <strong>{names('role', t.roleId)}</strong>
        {t.isPrimary ? ' (primary)' : ''}
      </p>
      <p class="muted">
        {t.startDate} – {t.endDate ?? 'present'}
        {t.endReason ? ` · ${t.endReason}` : ''}
      </p>
      {editing === t.id ? (
        <EditForm
          kind="assignments"
          record={t}
          fields={ASSIGNMENT_FIELDS}
          idPrefix={`tenure-${t.id}`}
          legend={`Edit tenure of ${names('contact', t.contactId)}`}
          onSaved={saved}
          onCancel={() => setEditing(null)}
        />
      ) : (
        <EditButton
          label="Edit tenure"
          denied={stateDenied(session, t.stateCode)}
          id={t.id}
          onClick={() => setEditing(t.id)}
        />
      )}
    </li>
  )
  const current = tenures.filter(isCurrent)
  const past = tenures.filter((t) => !isCurrent(t))

  return (
    <>
      <h1>{org.name}</h1>
      <div class="toolbar">
        <VerifyButton
          entity="organization"
          id={org.id}
          version={org.version}
          denied={denied}
          onVerified={() => setReload((r) => r + 1)}
        />
        <ExportButton
          label="Export people (CSV)"
          fallback="contacts.csv"
          fetcher={() =>
            api.GET('/v1/contacts', {
              params: { query: { organization: org.id } },
              headers: { accept: 'text/csv' },
              parseAs: 'blob',
            })
          }
        />
        <ExportButton
          label="Export people (vCard)"
          fallback="contacts.vcf"
          fetcher={() =>
            api.GET('/v1/contacts', {
              params: { query: { organization: org.id } },
              headers: { accept: 'text/vcard' },
              parseAs: 'blob',
            })
          }
        />
      </div>

      <section aria-labelledby="details">
        <h2 id="details">Details</h2>
        {editing === 'organization' ? (
          <EditForm
            kind="organizations"
            record={org}
            fields={FIELDS}
            idPrefix="organization"
            legend="Edit details"
            onSaved={saved}
            onCancel={() => setEditing(null)}
          />
        ) : (
          <>
            <dl class="details">
              {(['acronym', 'kind', 'website', 'externalId'] as const).map((f) => (
                <div key={f}>
                  <dt>{fieldLabel(f)}</dt>
                  <dd>{formatValue(org[f])}</dd>
                </div>
              ))}
              <div>
                <dt>State</dt>
                <dd>
                  {org.stateCode ? (
                    <a href={`/console/states/${org.stateCode}`}>{org.stateCode}</a>
                  ) : (
                    '(none)'
                  )}
                </dd>
              </div>
              <div>
                <dt>Parent organization</dt>
                <dd>
                  {org.parentId ? <a href={`/console/organizations/${org.parentId}`}>Parent</a> : '(none)'}
                </dd>
              </div>
              <div>
                <dt>Contact details</dt>
                <dd>{formatValue(org.contactDetails)}</dd>
              </div>
              <div>
                <dt>Last verified</dt>
                <dd data-testid="last-verified">
                  {org.lastVerifiedAt ? formatInstant(org.lastVerifiedAt) : 'never'}
                </dd>
              </div>
              <div>
                <dt>Version</dt>
                <dd>{org.version}</dd>
              </div>
            </dl>
            <EditButton
              label="Edit details"
              denied={denied}
              id="organization"
              onClick={() => setEditing('organization')}
            />
          </>
        )}
      </section>

      <section aria-labelledby="people">
        <h2 id="people">People</h2>
        <h3>Current</h3>
        {current.length ? <ul class="plain">{current.map(tenure)}</ul> : <p>No current tenure.</p>}
        <h3>Past</h3>
        {past.length ? <ul class="plain">{past.map(tenure)}</ul> : <p>No past tenure.</p>}
      </section>

      <section aria-labelledby="history">
        <h2 id="history">History</h2>
        {history ? <Timeline revisions={history.items} nextCursor={history.nextCursor} /> : <p>Loading…</p>}
      </section>
    </>
  )
}
