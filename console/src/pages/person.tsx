import { useEffect, useState } from 'preact/hooks'
import { api, describeProblem, type Schemas } from '../api'
import { contactDenied, stateDenied } from '../records/access'
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

type Contact = Schemas['Contact']
type Assignment = Schemas['Assignment']

const CONTACT_FIELDS: readonly FieldSpec[] = [
  { name: 'honorific' },
  { name: 'givenName' },
  { name: 'familyName', required: true },
  { name: 'nameOriginal' },
  { name: 'positionTitle' },
  { name: 'externalId' },
  { name: 'contactDetails', kind: 'details' },
]
const NOTES: FieldSpec = { name: 'notes', kind: 'textarea' }

/** The person page: details, tenures, history; three API calls to render. */
export function PersonPage({ id }: { id: string }) {
  const session = useSession()
  const [contact, setContact] = useState<Contact | null>(null)
  const [tenures, setTenures] = useState<Assignment[]>([])
  const [history, setHistory] = useState<Schemas['RevisionList'] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [editing, setEditing] = useState<string | null>(null)
  const [reload, setReload] = useState(0)
  useTitle(contact?.displayName ?? 'Person')

  useEffect(() => {
    let live = true
    Promise.all([
      api.GET('/v1/contacts/{id}', { params: { path: { id } } }),
      api.GET('/v1/assignments', { params: { query: { contact: id, limit: 500 } } }),
      api.GET('/v1/contacts/{id}/history', { params: { path: { id }, query: { limit: 100 } } }),
    ]).then(([c, a, h]) => {
      if (!live) return
      if (c.data && typeof c.data === 'object') setContact(c.data)
      else setError(describeProblem(c.error))
      if (a.data && typeof a.data === 'object') setTenures(a.data.items)
      if (h.data) setHistory(h.data)
    })
    return () => {
      live = false
    }
  }, [id, reload])

  const names = useNames(
    tenures.flatMap((t) => [['role', t.roleId] as const, ['organization', t.organizationId] as const]),
  )

  if (!contact) {
    return (
      <>
        <h1>Person</h1>
        {error ? <p role="alert">{error}</p> : <p>Loading…</p>}
      </>
    )
  }
  const denied = contactDenied(session, tenures)
  const current = tenures.filter(isCurrent)
  const past = tenures.filter((t) => !isCurrent(t))
  const saved = () => {
    setEditing(null)
    setReload((r) => r + 1)
  }
  const hasNotes = 'notes' in contact
  const rows: [string, unknown][] = [
    ['honorific', contact.honorific],
    ['givenName', contact.givenName],
    ['familyName', contact.familyName],
    ['nameOriginal', contact.nameOriginal],
    ['nameLatin', contact.nameLatin],
    ['positionTitle', contact.positionTitle],
    ['languages', contact.languages],
    ['externalId', contact.externalId],
  ]

  const tenure = (t: Assignment) => {
    const tDenied = stateDenied(session, t.stateCode)
    return (
      <li key={t.id} class="tenure">
        <p>
          <strong>{names('role', t.roleId)}</strong>
          {t.isPrimary ? ' (primary)' : ''} at{' '}
          <a href={`/console/organizations/${t.organizationId}`}>{names('organization', t.organizationId)}</a>
          {t.stateCode ? (
            <>
              {' '}
              · <a href={`/console/states/${t.stateCode}`}>{t.stateCode}</a>
            </>
          ) : null}
        </p>
        <p class="muted">
          {t.startDate} – {t.endDate ?? 'present'}
          {t.endReason ? ` · ${t.endReason}` : ''}
          {t.designationRef ? ` · designation ${t.designationRef}` : ''}
        </p>
        {editing === t.id ? (
          <EditForm
            kind="assignments"
            record={t}
            fields={ASSIGNMENT_FIELDS}
            idPrefix={`tenure-${t.id}`}
            legend={`Edit tenure: ${names('role', t.roleId)}`}
            onSaved={saved}
            onCancel={() => setEditing(null)}
          />
        ) : (
          <EditButton label="Edit tenure" denied={tDenied} id={t.id} onClick={() => setEditing(t.id)} />
        )}
      </li>
    )
  }

  return (
    <>
      <h1>{contact.displayName}</h1>
      {contact.positionTitle ? <p class="lead">{contact.positionTitle}</p> : null}
      <div class="toolbar">
        <VerifyButton
          entity="contact"
          id={contact.id}
          version={contact.version}
          denied={denied}
          onVerified={() => setReload((r) => r + 1)}
        />
        <ExportButton
          label="Export vCard"
          fallback={`${contact.displayName}.vcf`}
          fetcher={() =>
            api.GET('/v1/contacts/{id}', {
              params: { path: { id: contact.id } },
              headers: { accept: 'text/vcard' },
              parseAs: 'blob',
            })
          }
        />
      </div>

      <section aria-labelledby="details">
        <h2 id="details">Details</h2>
        {editing === 'contact' ? (
          <EditForm
            kind="contacts"
            record={contact}
            fields={hasNotes ? [...CONTACT_FIELDS, NOTES] : CONTACT_FIELDS}
            idPrefix="contact"
            legend="Edit details"
            onSaved={saved}
            onCancel={() => setEditing(null)}
          />
        ) : (
          <>
            <dl class="details">
              {rows.map(([field, value]) => (
                <div key={field}>
                  <dt>{fieldLabel(field)}</dt>
                  <dd>{formatValue(value)}</dd>
                </div>
              ))}
              <div>
                <dt>Contact details</dt>
                <dd>
                  {contact.contactDetails.length === 0 ? (
                    '(none you may see)'
                  ) : (
                    <ul class="plain" data-testid="contact-details">
                      {contact.contactDetails.map((d) => (
                        <li key={`${d.type}:${d.value}`}>
                          {d.type}: {d.value}
                          {d.label ? ` (${d.label})` : ''} <span class="badge">{d.visibility}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </dd>
              </div>
              {hasNotes ? (
                <div>
                  <dt>Notes</dt>
                  <dd>{formatValue(contact.notes)}</dd>
                </div>
              ) : null}
              <div>
                <dt>Last verified</dt>
                <dd data-testid="last-verified">
                  {contact.lastVerifiedAt ? formatInstant(contact.lastVerifiedAt) : 'never'}
                </dd>
              </div>
              <div>
                <dt>Version</dt>
                <dd>{contact.version}</dd>
              </div>
            </dl>
            {hasNotes ? null : (
              <p class="muted">Restricted details and notes are shown to readers with directory:read only.</p>
            )}
            <EditButton
              label="Edit details"
              denied={denied}
              id="contact"
              onClick={() => setEditing('contact')}
            />
          </>
        )}
      </section>

      <section aria-labelledby="tenures">
        <h2 id="tenures">Tenures</h2>
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
