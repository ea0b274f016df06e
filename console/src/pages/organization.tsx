import { api } from '../api'
import { stateDenied } from '../records/access'
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

const KINDS = ['government', 'international', 'regional', 'ngo', 'academic', 'other'] as const
const FIELDS: readonly FieldSpec[] = [
  { name: 'name', required: true },
  { name: 'acronym' },
  { name: 'kind', kind: 'select', options: KINDS, required: true },
  { name: 'website' },
  { name: 'externalId' },
  { name: 'contactDetails', kind: 'details' },
]

/** The organization page: details, its people's tenures, history; three API calls to render (see useRecordPage). */
export function OrganizationPage({ id }: { id: string }) {
  const session = useSession()
  const page = useRecordPage('organizations', id)
  const org = page.record
  useTitle(org?.name ?? 'Organization')

  if (!org) return <RecordLoading title="Organization" error={page.error} />
  const denied = stateDenied(session, org.stateCode)
  const tenure = ({ assignment: t, role, contact }: Tenure) => (
    <li key={t.id} class="tenure">
      <p>
        <a href={`/console/contacts/${contact.id}`}>{contact.displayName}</a>, <strong>{role.name}</strong>
        {t.isPrimary ? ' (primary)' : ''}
      </p>
      <p class="muted">
        {t.startDate} – {t.endDate ?? 'present'}
        {t.endReason ? ` · ${t.endReason}` : ''}
      </p>
      <TenureEditor tenure={t} page={page} legend={`Edit tenure of ${contact.displayName}`} />
    </li>
  )

  return (
    <>
      <h1>{org.name}</h1>
      <div class="toolbar">
        <VerifyButton
          entity="organization"
          id={org.id}
          version={org.version}
          denied={denied}
          onVerified={page.refresh}
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
        {page.editing === 'organization' ? (
          <EditForm
            kind="organizations"
            record={org}
            fields={FIELDS}
            idPrefix="organization"
            legend="Edit details"
            onSaved={page.saved}
            onCancel={() => page.setEditing(null)}
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
              onClick={() => page.setEditing('organization')}
            />
          </>
        )}
      </section>

      <TenuresAndHistory heading="People" headingId="people" page={page} renderTenure={tenure} />
    </>
  )
}
