import { fieldLabel } from './format'

/** One contact detail as the form holds it (the API's ContactDetail). */
export interface Detail {
  type: string
  value: string
  label: string | null
  visibility: string
}

const TYPES = ['email', 'phone', 'mobile', 'fax', 'address', 'website'] as const

/**
 * The contact details of a record: a row per detail (type, value, visibility), added and
 * removed as a whole list, since a merge patch replaces arrays whole.
 */
export function DetailsEditor(props: {
  id: string
  name: string
  details: readonly Detail[]
  describedBy?: string
  onChange: (details: Detail[]) => void
}) {
  const { id, details } = props
  const update = (i: number, change: Partial<Detail>) =>
    props.onChange(details.map((d, j) => (j === i ? { ...d, ...change } : d)))
  return (
    <fieldset class="details-editor" id={id} aria-describedby={props.describedBy}>
      <legend>{fieldLabel(props.name)}</legend>
      {details.length === 0 ? <p class="muted">None.</p> : null}
      {details.map((d, i) => {
        const n = i + 1
        return (
          <div class="detail-row" key={i}>
            <select
              aria-label={`Type of detail ${n}`}
              value={d.type}
              onChange={(e) => update(i, { type: e.currentTarget.value })}
            >
              {TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
            <input
              type="text"
              aria-label={`Value of detail ${n}`}
              value={d.value}
              onInput={(e) => update(i, { value: e.currentTarget.value })}
            />
            <select
              aria-label={`Visibility of detail ${n}`}
              value={d.visibility}
              onChange={(e) => update(i, { visibility: e.currentTarget.value })}
            >
              <option value="restricted">restricted</option>
              <option value="public">public</option>
            </select>
            <button
              type="button"
              class="secondary"
              aria-label={`Remove detail ${n}`}
              onClick={() => props.onChange(details.filter((_, j) => j !== i))}
            >
              Remove
            </button>
          </div>
        )
      })}
      <button
        type="button"
        class="secondary"
        onClick={() =>
          props.onChange([...details, { type: 'email', value: '', label: null, visibility: 'restricted' }])
        }
      >
        Add a contact detail
      </button>
    </fieldset>
  )
}
