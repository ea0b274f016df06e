import { useEffect, useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { api, describeProblem, type Schemas } from '../api'
import { Timeline } from '../records/timeline'
import { useTitle } from '../title'

type Revision = Schemas['Revision']
const PAGE = 50

/** The person of a tenure's revision, when the revision names one (creates do). */
const tenureContact = (r: Revision) =>
  (r.changes as { contactId?: { after: string | null } }).contactId?.after ?? null

/**
 * The change feed, newest first. The feed pages forward (`after=<seq>`, answering `nextAfter`);
 * the newest page starts PAGE revisions before the head, which `after=latest` answers.
 */
export function ChangesPage() {
  useTitle('Recent changes')
  const { query, route } = useLocation()
  const asked = query.after && /^\d+$/.test(query.after) ? Number(query.after) : null
  const [page, setPage] = useState<{
    after: number
    items: Revision[]
    /** Current names of the records the page mentions, by `entity:id`. */
    names: Map<string, string>
    nextAfter: number
    head: number
  } | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    ;(async () => {
      let head = Number.MAX_SAFE_INTEGER
      let after = asked
      if (after === null) {
        const top = await api.GET('/v1/changes', { params: { query: { after: 'latest' } } })
        if (!top.data) return setError(describeProblem(top.error))
        head = top.data.nextAfter
        after = Math.max(0, head - PAGE)
      }
      // The page names what it mentions (names=true), so no record is read to show its name.
      const { data, error } = await api.GET('/v1/changes', {
        params: { query: { after, limit: PAGE, names: 'true' } },
      })
      if (!live) return
      if (data)
        setPage({
          after,
          items: [...data.items].reverse(),
          names: new Map((data.names ?? []).map((n) => [`${n.entity}:${n.id}`, n.name])),
          nextAfter: data.nextAfter,
          head,
        })
      else setError(describeProblem(error))
    })()
    return () => {
      live = false
    }
  }, [asked])

  // A deleted record is not named: it lives on only in history and the feed.
  const names = (entity: 'contact' | 'organization', id: string) =>
    page?.names.get(`${entity}:${id}`) ?? `a deleted ${entity === 'contact' ? 'person' : entity}`
  const subject = (r: Revision) => {
    if (r.entity === 'contact')
      return <a href={`/console/contacts/${r.entityId}`}>{names('contact', r.entityId)}</a>
    if (r.entity === 'organization')
      return <a href={`/console/organizations/${r.entityId}`}>{names('organization', r.entityId)}</a>
    if (r.entity === 'state') return <a href={`/console/states/${r.entityId}`}>state {r.entityId}</a>
    if (r.entity === 'assignment') {
      const contact = tenureContact(r)
      return contact ? (
        <>
          a tenure of <a href={`/console/contacts/${contact}`}>{names('contact', contact)}</a>
        </>
      ) : (
        'a tenure'
      )
    }
    return `role ${r.entityId}`
  }

  return (
    <>
      <h1>Recent changes</h1>
      {error ? <p role="alert">{error}</p> : null}
      {!page ? (
        <p>Loading…</p>
      ) : (
        <>
          <p class="muted">
            Changes {page.after + 1}–{page.nextAfter}, newest first.
          </p>
          <Timeline revisions={page.items} subject={subject} />
          <nav class="pager" aria-label="Pages of changes">
            {page.after > 0 ? (
              <button
                type="button"
                class="secondary"
                onClick={() => route(`/console/changes?after=${Math.max(0, page.after - PAGE)}`)}
              >
                Older changes
              </button>
            ) : null}
            {page.items.length === PAGE && page.nextAfter < page.head ? (
              <button
                type="button"
                class="secondary"
                onClick={() => route(`/console/changes?after=${page.nextAfter}`)}
              >
                Newer changes
              </button>
            ) : null}
          </nav>
        </>
      )}
    </>
  )
}
