import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, describeProblem, type Schemas } from '../api'
import { useSession } from '../session'
import { stateDenied } from './access'
import { EditButton } from './edit-button'
import { EditForm } from './edit-form'
import { ASSIGNMENT_FIELDS, isCurrent } from './tenures'
import { Timeline } from './timeline'

type Assignment = Schemas['Assignment']
/** A tenure as the record pages get it: the assignment with its role, contact and organization. */
export type Tenure = Schemas['DirectoryEntry']
type RevisionList = Schemas['RevisionList']

interface Records {
  contacts: Schemas['Contact']
  organizations: Schemas['Organization']
}

/**
 * A record page's three calls: the record, its tenures (each with its role, contact and
 * organization embedded, so nothing is looked up per tenure), its history.
 */
const LOAD = {
  contacts: (id: string) =>
    Promise.all([
      api.GET('/v1/contacts/{id}', { params: { path: { id } } }),
      api.GET('/v1/contacts/{id}/tenures', { params: { path: { id }, query: { limit: 500 } } }),
      api.GET('/v1/contacts/{id}/history', { params: { path: { id }, query: { limit: 100 } } }),
    ]),
  organizations: (id: string) =>
    Promise.all([
      api.GET('/v1/organizations/{id}', { params: { path: { id } } }),
      api.GET('/v1/organizations/{id}/tenures', { params: { path: { id }, query: { limit: 500 } } }),
      api.GET('/v1/organizations/{id}/history', { params: { path: { id }, query: { limit: 100 } } }),
    ]),
} as const

/**
 * The state a person or organization page shares: the record, its tenures and history (read
 * again after each save), and which form (the record's, or a tenure's id) is open.
 */
export function useRecordPage<K extends keyof Records>(kind: K, id: string) {
  const [record, setRecord] = useState<Records[K] | null>(null)
  const [tenures, setTenures] = useState<Tenure[]>([])
  const [history, setHistory] = useState<RevisionList | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [editing, setEditing] = useState<string | null>(null)
  const [reload, setReload] = useState(0)

  useEffect(() => {
    let live = true
    LOAD[kind](id).then(([r, t, h]) => {
      if (!live) return
      // The record's route also answers vCard; asked for JSON, an object is the record.
      if (r.data && typeof r.data === 'object') setRecord(r.data as Records[K])
      else setError(describeProblem(r.error))
      if (t.data) setTenures(t.data.items)
      if (h.data) setHistory(h.data)
    })
    return () => {
      live = false
    }
  }, [kind, id, reload])

  const refresh = () => setReload((r) => r + 1)
  const saved = () => {
    setEditing(null)
    refresh()
  }
  return { record, tenures, history, error, editing, setEditing, refresh, saved }
}

type RecordPage = ReturnType<typeof useRecordPage>

/** The page before its record arrives: loading, or the problem the API answered. */
export function RecordLoading({ title, error }: { title: string; error: string | null }) {
  return (
    <>
      <h1>{title}</h1>
      {error ? <p role="alert">{error}</p> : <p>Loading…</p>}
    </>
  )
}

/** A tenure's edit form when open, else its edit button (disabled with the reason). */
export function TenureEditor({
  tenure,
  page,
  legend,
}: {
  tenure: Assignment
  page: RecordPage
  legend: string
}) {
  const session = useSession()
  return page.editing === tenure.id ? (
    <EditForm
      kind="assignments"
      record={tenure}
      fields={ASSIGNMENT_FIELDS}
      idPrefix={`tenure-${tenure.id}`}
      legend={legend}
      onSaved={page.saved}
      onCancel={() => page.setEditing(null)}
    />
  ) : (
    <EditButton
      label="Edit tenure"
      denied={stateDenied(session, tenure.stateCode)}
      id={tenure.id}
      onClick={() => page.setEditing(tenure.id)}
    />
  )
}

/** The tenures (current, then past) and the revision history of a record. */
export function TenuresAndHistory({
  heading,
  headingId,
  page: { tenures, history },
  renderTenure,
}: {
  heading: string
  headingId: string
  page: RecordPage
  renderTenure: (t: Tenure) => ComponentChildren
}) {
  const current = tenures.filter((t) => isCurrent(t.assignment))
  const past = tenures.filter((t) => !isCurrent(t.assignment))
  return (
    <>
      <section aria-labelledby={headingId}>
        <h2 id={headingId}>{heading}</h2>
        <h3>Current</h3>
        {current.length ? <ul class="plain">{current.map(renderTenure)}</ul> : <p>No current tenure.</p>}
        <h3>Past</h3>
        {past.length ? <ul class="plain">{past.map(renderTenure)}</ul> : <p>No past tenure.</p>}
      </section>

      <section aria-labelledby="history">
        <h2 id="history">History</h2>
        {history ? <Timeline revisions={history.items} nextCursor={history.nextCursor} /> : <p>Loading…</p>}
      </section>
    </>
  )
}
