import { useEffect, useRef, useState } from 'preact/hooks'
import { api, describeProblem, type Problem, type Schemas } from '../api'
import { type Detail, DetailsEditor } from './details-editor'
import { fieldLabel, formatValue, sameValue } from './format'

/**
 * The editing form of a contact, organization or assignment. It sends a merge patch of the
 * fields the user changed with `If-Match: "<version>"` of the record the form started from. A
 * problem's `errors[].path` is shown next to the field it names; a 412 fetches the record as it
 * is now, shows what changed meanwhile and offers to send the same edit again on that version.
 */
export type Editable = 'contacts' | 'organizations' | 'assignments'
export type RecordOf = {
  contacts: Schemas['Contact']
  organizations: Schemas['Organization']
  assignments: Schemas['Assignment']
}

export interface FieldSpec {
  name: string
  kind?: 'text' | 'textarea' | 'date' | 'checkbox' | 'select' | 'details'
  options?: readonly string[]
  /** A field that cannot be cleared: an emptied one is sent as "" for the service to refuse. */
  required?: boolean
}

type Values = Record<string, string>
type Patch = Record<string, string | boolean | null | Detail[]>
type Answer<K extends Editable> = { data?: RecordOf[K]; error?: unknown; response: Response }

const READ_ONLY = new Set(['version', 'createdAt', 'updatedAt', 'lastVerifiedAt'])

function valuesOf(record: object, fields: readonly FieldSpec[]): Values {
  const r = record as Record<string, unknown>
  return Object.fromEntries(
    fields.map((f) => [
      f.name,
      f.kind === 'checkbox'
        ? String(r[f.name] === true)
        : f.kind === 'details'
          ? JSON.stringify(r[f.name] ?? [])
          : ((r[f.name] as string | null) ?? ''),
    ]),
  )
}

/** The merge patch: each field whose value differs from the record the form started from. */
function patchOf(values: Values, initial: Values, fields: readonly FieldSpec[]): Patch {
  const patch: Patch = {}
  for (const f of fields) {
    const v = values[f.name] ?? ''
    if (v === initial[f.name]) continue
    if (f.kind === 'checkbox') patch[f.name] = v === 'true'
    else if (f.kind === 'details') patch[f.name] = JSON.parse(v) as Detail[]
    else patch[f.name] = v.trim() === '' && !f.required ? null : v
  }
  return patch
}

async function send<K extends Editable>(
  kind: K,
  id: string,
  version: number,
  patch: Patch,
): Promise<Answer<K>> {
  const init = {
    params: { path: { id }, header: { 'if-match': `"${version}"` } },
    headers: { 'content-type': 'application/merge-patch+json' },
  }
  // The three PATCH routes take the same shape of request; the body is checked by the service.
  if (kind === 'contacts')
    return (await api.PATCH('/v1/contacts/{id}', {
      ...init,
      body: patch as Schemas['ContactPatchInput'],
    })) as Answer<K>
  if (kind === 'organizations')
    return (await api.PATCH('/v1/organizations/{id}', {
      ...init,
      body: patch as Schemas['OrganizationPatchInput'],
    })) as Answer<K>
  return (await api.PATCH('/v1/assignments/{id}', {
    ...init,
    body: patch as Schemas['AssignmentPatchInput'],
  })) as Answer<K>
}

async function fetchCurrent<K extends Editable>(kind: K, id: string): Promise<RecordOf[K] | undefined> {
  const init = { params: { path: { id } } }
  const { data } =
    kind === 'contacts'
      ? await api.GET('/v1/contacts/{id}', init)
      : kind === 'organizations'
        ? await api.GET('/v1/organizations/{id}', init)
        : await api.GET('/v1/assignments/{id}', init)
  return data && typeof data === 'object' ? (data as RecordOf[K]) : undefined
}

interface Conflict<K extends Editable> {
  current: RecordOf[K]
  meanwhile: { field: string; before: unknown; after: unknown }[]
}

export function EditForm<K extends Editable>(props: {
  kind: K
  record: RecordOf[K]
  fields: readonly FieldSpec[]
  /** A unique prefix for the fields' ids. */
  idPrefix: string
  legend: string
  onSaved: (record: RecordOf[K]) => void
  onCancel: () => void
}) {
  const { kind, fields, idPrefix } = props
  const [base, setBase] = useState(props.record)
  const [initial, setInitial] = useState(() => valuesOf(props.record, fields))
  const [values, setValues] = useState(initial)
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)
  const [conflict, setConflict] = useState<Conflict<K> | null>(null)
  const [busy, setBusy] = useState(false)
  const conflictHeading = useRef<HTMLHeadingElement>(null)
  // The conflict replaces the Save the user just pressed: keyboard and screen readers go to it.
  useEffect(() => {
    if (conflict) conflictHeading.current?.focus()
  }, [conflict])

  async function save(version: number, patch: Patch) {
    setBusy(true)
    setError(null)
    setFieldErrors({})
    try {
      const answer = await send(kind, base.id, version, patch)
      if (answer.data) {
        setConflict(null)
        props.onSaved(answer.data)
        return
      }
      const problem = answer.error as Partial<Problem> | undefined
      if (answer.response.status === 412) {
        const current = await fetchCurrent(kind, base.id)
        if (!current) {
          setError('The record changed meanwhile and can no longer be read (deleted?).')
          return
        }
        const b = base as Record<string, unknown>
        const c = current as Record<string, unknown>
        const meanwhile = Object.keys(c)
          .filter((f) => !READ_ONLY.has(f) && !sameValue(b[f], c[f]))
          .map((f) => ({ field: f, before: b[f], after: c[f] }))
        setConflict({ current, meanwhile })
        return
      }
      const byField: Record<string, string> = {}
      const rest: string[] = []
      for (const e of (problem?.errors ?? []) as { path?: string; field?: string; message: string }[]) {
        const [name = '', ...inner] = (e.path ?? e.field ?? '').split(/[./]/).filter(Boolean)
        // Within a list field, say which item: contactDetails.0.value -> "#1 value: …".
        const where = inner.map((s) => (/^\d+$/.test(s) ? `#${Number(s) + 1}` : s)).join(' ')
        const message = where ? `${where}: ${e.message}` : e.message
        if (fields.some((f) => f.name === name))
          byField[name] = byField[name] ? `${byField[name]}; ${message}` : message
        else rest.push(`${e.path ?? e.field}: ${e.message}`)
      }
      setFieldErrors(byField)
      setError(
        Object.keys(byField).length > 0 && rest.length === 0
          ? `${problem?.title ?? 'Refused'}: see the fields marked below.`
          : [describeProblem(problem), ...rest].join(' — '),
      )
    } finally {
      setBusy(false)
    }
  }

  const patch = patchOf(values, initial, fields)
  const changed = Object.keys(patch)

  return (
    <form
      class="edit-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        if (changed.length > 0) void save(base.version, patch)
      }}
    >
      <fieldset>
        <legend>{props.legend}</legend>
        <p class="muted">Editing version {base.version}.</p>
        {error ? (
          <p role="alert" class="form-error">
            {error}
          </p>
        ) : null}
        {conflict ? (
          <section class="conflict" aria-labelledby={`${idPrefix}-conflict`} data-testid="conflict">
            <h3 id={`${idPrefix}-conflict`} ref={conflictHeading} tabIndex={-1}>
              Someone changed this record meanwhile (now version {conflict.current.version})
            </h3>
            <p>Your edit was not saved. What changed since you opened the form:</p>
            <ul>
              {conflict.meanwhile.map((m) => (
                <li key={m.field}>
                  {fieldLabel(m.field)}: <del>{formatValue(m.before)}</del> →{' '}
                  <ins>{formatValue(m.after)}</ins>
                  {m.field in patch ? (
                    <strong> (you changed this field too; yours would replace it)</strong>
                  ) : null}
                </li>
              ))}
            </ul>
            <p>Your edit: {changed.map((f) => `${fieldLabel(f)} → ${formatValue(patch[f])}`).join('; ')}</p>
            <div class="actions">
              <button
                type="button"
                disabled={busy}
                onClick={() => void save(conflict.current.version, patch)}
              >
                Re-apply my edit on version {conflict.current.version}
              </button>
              <button
                type="button"
                class="secondary"
                onClick={() => {
                  const fresh = valuesOf(conflict.current, fields)
                  setBase(conflict.current)
                  setInitial(fresh)
                  setValues(fresh)
                  setConflict(null)
                  setError(null)
                }}
              >
                Discard my edit
              </button>
            </div>
          </section>
        ) : null}
        {fields.map((f) => {
          const id = `${idPrefix}-${f.name}`
          const err = fieldErrors[f.name]
          const common = {
            id,
            name: f.name,
            'aria-invalid': err ? ('true' as const) : undefined,
            'aria-describedby': err ? `${id}-error` : undefined,
          }
          const value = values[f.name] ?? ''
          const set = (v: string) => setValues({ ...values, [f.name]: v })
          return (
            <div class={f.kind === 'checkbox' ? 'field checkbox' : 'field'} key={f.name}>
              {f.kind === 'details' ? (
                <DetailsEditor
                  id={id}
                  name={f.name}
                  details={JSON.parse(value || '[]') as Detail[]}
                  describedBy={common['aria-describedby']}
                  onChange={(details) => set(JSON.stringify(details))}
                />
              ) : f.kind === 'checkbox' ? (
                <>
                  <input
                    type="checkbox"
                    {...common}
                    checked={value === 'true'}
                    onChange={(e) => set(String(e.currentTarget.checked))}
                  />
                  <label for={id}>{fieldLabel(f.name)}</label>
                </>
              ) : (
                <>
                  <label for={id}>{fieldLabel(f.name)}</label>
                  {f.kind === 'textarea' ? (
                    <textarea
                      {...common}
                      rows={3}
                      value={value}
                      onInput={(e) => set(e.currentTarget.value)}
                    />
                  ) : f.kind === 'select' ? (
                    <select {...common} value={value} onChange={(e) => set(e.currentTarget.value)}>
                      {(f.options ?? []).map((o) => (
                        <option key={o} value={o}>
                          {o}
                        </option>
                      ))}
                    </select>
                  ) : f.kind === 'date' ? (
                    <input
                      type="date"
                      {...common}
                      value={value}
                      onInput={(e) => set(e.currentTarget.value)}
                    />
                  ) : (
                    <input
                      type="text"
                      {...common}
                      value={value}
                      onInput={(e) => set(e.currentTarget.value)}
                    />
                  )}
                </>
              )}
              {err ? (
                <p class="field-error" id={`${id}-error`}>
                  {err}
                </p>
              ) : null}
            </div>
          )
        })}
        <div class="actions">
          <button type="submit" disabled={busy || changed.length === 0 || conflict !== null}>
            Save
          </button>
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </fieldset>
    </form>
  )
}
