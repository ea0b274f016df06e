import { useState } from 'preact/hooks'
import { api, describeProblem, type Problem, type Schemas } from './api'
import { useSearch } from './search'

type Assignment = Schemas['Assignment']
type Contact = Schemas['Contact']

const today = () => new Date().toISOString().slice(0, 10)

/** "Aida Sadykova" -> given "Aida", family "Sadykova": a first guess the person can correct. */
function splitName(text: string) {
  const words = text.trim().split(/\s+/)
  const family = words.pop() ?? ''
  return { given: words.join(' '), family }
}

interface Props {
  assignment: Assignment
  current: Contact
  onCancel: () => void
  /** The form stays busy until this settles (the page reads itself again), then goes away. */
  onDone: (successor: Contact) => void | Promise<void>
}

/**
 * The handover of a post: the successor (found by name in any script, or created here), the
 * day, the reason and the designation reference, sent as one handover call with If-Match.
 * Enter in the successor box picks the highlighted person; Enter elsewhere hands over.
 */
export function HandoverForm({ assignment, current, onCancel, onDone }: Props) {
  const [text, setText] = useState('')
  const [active, setActive] = useState(0)
  const [successor, setSuccessor] = useState<Contact | null>(null)
  const [newPerson, setNewPerson] = useState<{ given: string; family: string } | null>(null)
  const [date, setDate] = useState(today())
  const [reason, setReason] = useState('')
  const [designation, setDesignation] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const results = useSearch(successor || newPerson ? '' : text, { peopleOnly: true })
  const options = [
    ...(results?.contacts.filter((c) => c.id !== current.id) ?? []).map((c) => ({
      kind: 'person' as const,
      c,
    })),
    ...(results ? [{ kind: 'create' as const }] : []),
  ]
  const open = options.length > 0
  const id = assignment.id

  function pick(index: number) {
    const option = options[index]
    if (!option) return
    if (option.kind === 'person') setSuccessor(option.c)
    else setNewPerson(splitName(text))
    // The search box goes away: the next question (or the new person's names) takes the focus.
    setTimeout(() =>
      document.getElementById(option.kind === 'person' ? `date-${id}` : `given-${id}`)?.focus(),
    )
  }

  function showProblem(p: unknown, fields: Record<string, string>) {
    const body = p as Partial<Problem> | undefined
    const named: Record<string, string> = {}
    for (const e of body?.errors ?? []) {
      if ('path' in e) named[fields[e.path] ?? e.path] = e.message
    }
    setErrors(named)
    setProblem(describeProblem(p))
  }

  async function submit(e: Event) {
    e.preventDefault()
    if (!successor && !newPerson) {
      setErrors({ successor: 'Choose the successor' })
      setProblem('Choose the successor, or create a new person.')
      return
    }
    setBusy(true)
    setErrors({})
    setProblem(null)
    let person = successor
    if (!person && newPerson) {
      const created = await api.POST('/v1/contacts', {
        body: { givenName: newPerson.given || null, familyName: newPerson.family },
      })
      if (!created.data) {
        setBusy(false)
        showProblem(created.error, { familyName: 'family', givenName: 'given' })
        return
      }
      person = created.data
      setSuccessor(person)
      setNewPerson(null)
    }
    if (!person) return
    const { data, error, response } = await api.POST('/v1/assignments/{id}/handover', {
      params: { path: { id }, header: { 'if-match': `"${assignment.version}"` } },
      body: {
        contactId: person.id,
        date,
        ...(reason.trim() ? { endReason: reason.trim() } : {}),
        ...(designation.trim() ? { designationRef: designation.trim() } : {}),
      },
    })
    if (data) {
      await onDone(person)
      return
    }
    setBusy(false)
    if (response.status === 412) {
      setProblem('Someone changed this post since you opened the page. Reload it, then hand over again.')
      return
    }
    showProblem(error, { date: 'date', endReason: 'reason', designationRef: 'designation' })
  }

  const err = (name: string) =>
    errors[name] ? (
      <p id={`${name}-${id}-error`} class="field-error">
        <span class="visually-hidden">Error: </span>
        {errors[name]}
      </p>
    ) : null
  const described = (name: string) => (errors[name] ? `${name}-${id}-error` : undefined)

  return (
    <form class="handover" onSubmit={submit} noValidate aria-label={`Hand over from ${current.displayName}`}>
      {problem ? (
        <div class="error-summary" role="alert">
          <p>{problem}</p>
        </div>
      ) : null}
      <div class="field">
        <label for={`successor-${id}`}>Successor</label>
        {err('successor')}
        {successor || newPerson ? (
          <p class="chosen">
            <span data-testid="successor">
              {successor ? successor.displayName : `New person: ${newPerson?.given} ${newPerson?.family}`}
            </span>{' '}
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setSuccessor(null)
                setNewPerson(null)
              }}
            >
              Change<span class="visually-hidden"> successor</span>
            </button>
          </p>
        ) : null}
        {!successor && !newPerson ? (
          <div class="combo">
            <input
              id={`successor-${id}`}
              type="text"
              role="combobox"
              autoComplete="off"
              aria-autocomplete="list"
              aria-expanded={open}
              aria-controls={`successor-${id}-options`}
              aria-activedescendant={open ? `successor-${id}-option-${active}` : undefined}
              aria-invalid={errors.successor ? 'true' : undefined}
              aria-describedby={described('successor')}
              placeholder="Name, in any script"
              value={text}
              // biome-ignore lint/a11y/noAutofocus: the form opens on purpose for this one question
              autoFocus
              onInput={(e) => {
                setText(e.currentTarget.value)
                setActive(0)
              }}
              onKeyDown={(e) => {
                if (e.key === 'ArrowDown' && open) {
                  e.preventDefault()
                  setActive((a) => Math.min(a + 1, options.length - 1))
                } else if (e.key === 'ArrowUp' && open) {
                  e.preventDefault()
                  setActive((a) => Math.max(a - 1, 0))
                } else if (e.key === 'Enter') {
                  e.preventDefault()
                  if (open) pick(active)
                } else if (e.key === 'Escape') {
                  setText('')
                }
              }}
            />
            {open ? (
              <div class="options" role="listbox" id={`successor-${id}-options`} aria-label="People found">
                {options.map((o, i) => (
                  <div
                    key={o.kind === 'person' ? o.c.id : 'create'}
                    id={`successor-${id}-option-${i}`}
                    role="option"
                    // The box keeps the focus (aria-activedescendant); options take the mouse.
                    tabIndex={-1}
                    aria-selected={i === active}
                    class={i === active ? 'active' : undefined}
                    onMouseDown={(e) => {
                      e.preventDefault()
                      pick(i)
                    }}
                  >
                    {o.kind === 'person' ? (
                      <>
                        {o.c.displayName}
                        {o.c.nameLatin && o.c.nameLatin !== o.c.displayName ? ` (${o.c.nameLatin})` : ''}
                        {o.c.positionTitle ? <span class="muted"> · {o.c.positionTitle}</span> : null}
                      </>
                    ) : (
                      <>Create a new person: {text.trim()}</>
                    )}
                  </div>
                ))}
              </div>
            ) : null}
          </div>
        ) : null}
        {newPerson ? (
          <div class="new-person">
            <label for={`given-${id}`}>Given name</label>
            <input
              id={`given-${id}`}
              value={newPerson.given}
              onInput={(e) => setNewPerson({ ...newPerson, given: e.currentTarget.value })}
            />
            <label for={`family-${id}`}>Family name</label>
            {err('family')}
            <input
              id={`family-${id}`}
              value={newPerson.family}
              aria-invalid={errors.family ? 'true' : undefined}
              aria-describedby={described('family')}
              onInput={(e) => setNewPerson({ ...newPerson, family: e.currentTarget.value })}
            />
          </div>
        ) : null}
      </div>
      <div class="field">
        <label for={`date-${id}`}>Takes over on</label>
        {err('date')}
        <input
          id={`date-${id}`}
          type="date"
          value={date}
          aria-invalid={errors.date ? 'true' : undefined}
          aria-describedby={described('date')}
          onInput={(e) => setDate(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for={`reason-${id}`}>Why {current.displayName} leaves (optional)</label>
        {err('reason')}
        <input
          id={`reason-${id}`}
          type="text"
          value={reason}
          aria-invalid={errors.reason ? 'true' : undefined}
          aria-describedby={described('reason')}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for={`designation-${id}`}>Designation reference (optional)</label>
        {err('designation')}
        <input
          id={`designation-${id}`}
          type="text"
          placeholder="Note verbale No. …"
          value={designation}
          aria-invalid={errors.designation ? 'true' : undefined}
          aria-describedby={described('designation')}
          onInput={(e) => setDesignation(e.currentTarget.value)}
        />
      </div>
      <p class="actions">
        <button type="submit" disabled={busy}>
          Hand over
          {successor
            ? ` to ${successor.displayName}`
            : newPerson
              ? ` to ${newPerson.given} ${newPerson.family}`
              : ''}
        </button>{' '}
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </p>
    </form>
  )
}
