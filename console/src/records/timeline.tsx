import type { ComponentChildren } from 'preact'
import type { Schemas } from '../api'
import { fieldLabel, formatInstant, formatValue } from './format'

type Revision = Schemas['Revision']

const ACTIONS = {
  create: 'created',
  update: 'changed',
  delete: 'deleted',
  erase: 'erased (personal data removed)',
} as const

/** A record's revisions, newest first: who, when, and each field before → after. */
export function Timeline({
  revisions,
  nextCursor,
  subject,
}: {
  revisions: readonly Revision[]
  nextCursor?: string | null
  /** What the revision is about, for a list of several records (the change feed). */
  subject?: (r: Revision) => ComponentChildren
}) {
  if (revisions.length === 0) return <p>No revisions.</p>
  return (
    <>
      <ol class="timeline" data-testid="timeline">
        {revisions.map((r) => {
          const changes = Object.entries(
            r.changes as Record<string, { before: unknown; after: unknown }>,
            // A create lists every field; the empty ones say nothing.
          ).filter(
            ([field, c]) => field !== 'id' && (r.action !== 'create' || formatValue(c.after) !== '(empty)'),
          )
          return (
            <li key={r.seq}>
              <p class="timeline-head">
                <strong>{r.actor}</strong> {ACTIONS[r.action]} {subject ? <>{subject(r)}, </> : null}version{' '}
                {r.version} on <time dateTime={r.at}>{formatInstant(r.at)}</time>
              </p>
              {changes.length > 0 ? (
                <ul class="changes">
                  {changes.map(([field, c]) => (
                    <li key={field}>
                      <span class="field-name">{fieldLabel(field)}</span>:{' '}
                      {r.action === 'create' ? (
                        formatValue(c.after)
                      ) : (
                        <>
                          <del>{formatValue(c.before)}</del> → <ins>{formatValue(c.after)}</ins>
                        </>
                      )}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          )
        })}
      </ol>
      {nextCursor ? <p class="muted">Older revisions are not shown.</p> : null}
    </>
  )
}
