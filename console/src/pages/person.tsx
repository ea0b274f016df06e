import { api } from '../api'
import { contactDenied } from '../records/access'
import { ExportButton } from '../records/download'
import { EditButton } from '../records/edit-button'
import { EditForm, type FieldSpec } from '../records/edit-form'
import { fieldLabel, formatInstant, formatValue } from '../records/format'
import {
  RecordLoading,
  type Tenure,
  TenureEditor,
  TenuresAndHistory,
  useRecordPage,
} from '../records/record-page'
import { VerifyButton } from '../records/verify'
import { useSession } from '../session'
import { useTitle } from '../title'

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

/** The person page: details, tenures, history; three API calls to render (see useRecordPage). */
export function PersonPage({ id }: { id: string }) {
  const session = useSession()
  const page = useRecordPage('contacts', id)
  const contact = page.record
  useTitle(contact?.displayName ?? 'Person')

  if (!contact) return <RecordLoading title="Person" error={page.error} />
  const denied = contactDenied(
    session,
    page.tenures.map((t) => t.assignment),
  )
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

  const tenure = ({ assignment: t, role, organization }: Tenure) => (
    <li key={t.id} class="tenure">
      <p>
        <strong>{role.name}</strong>
        {t.isPrimary ? ' (primary)' : ''} at{' '}
        <a href={`/console/organizations/${organization.id}`}>
          {organization.acronym ? `${organization.name} (${organization.acronym})` : organization.name}
        </a>
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
      <TenureEditor tenure={t} page={page} legend={`Edit tenure: ${role.name}`} />
    </li>
  )

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
          onVerified={page.refresh}
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
        {page.editing === 'contact' ? (
          <EditForm
            kind="contacts"
            record={contact}
            fields={hasNotes ? [...CONTACT_FIELDS, NOTES] : CONTACT_FIELDS}
            idPrefix="contact"
            legend="Edit details"
            onSaved={page.saved}
            onCancel={() => page.setEditing(null)}
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
              onClick={() => page.setEditing('contact')}
            />
          </>
        )}
      </section>

      <TenuresAndHistory heading="Tenures" headingId="tenures" page={page} renderTenure={tenure} />
    </>
  )
}
