import { badRequest, type FieldError } from './problem.js'

/**
 * Text hygiene (DESIGN.md): every text input must be well-formed Unicode. A JSON string may
 * carry an unpaired surrogate (`"\ud800"`), which has no UTF-8 form: stored, it would make every
 * page that holds it unparseable. These find such strings, and object keys, at any depth.
 */

const MESSAGE = 'is not well-formed Unicode (it holds an unpaired surrogate)'
const KEY_MESSAGE = 'is a field name that is not well-formed Unicode (it holds an unpaired surrogate)'

/** String.prototype.isWellFormed (Node 20; TypeScript's ES2023 library does not declare it). */
export const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed()

interface Step {
  value: unknown
  parent: Step | null
  key: string
  /** The key itself is not well-formed (shown with U+FFFD in its place). */
  badKey?: boolean
}

function pathOf(step: Step): string {
  const keys: string[] = []
  for (let s: Step | null = step; s; s = s.parent) if (s.key !== '') keys.push(s.key)
  return keys.reverse().join('.') || '(root)'
}

/**
 * Every string and object key in `value` that is not well-formed, as `errors[]` entries whose
 * path follows the validation errors' format (`givenName`, `contactDetails.0.value`,
 * `query.q`, `params.id`), in document order, at most `limit`. Iterative, so no nesting depth
 * a parsed body can have overflows the stack.
 */
export function illFormedText(value: unknown, prefix = '', limit = 20): FieldError[] {
  const errors: FieldError[] = []
  const stack: Step[] = [{ value, parent: null, key: prefix }]
  while (stack.length > 0 && errors.length < limit) {
    const step = stack.pop() as Step
    const v = step.value
    if (step.badKey) errors.push({ path: pathOf(step), message: KEY_MESSAGE })
    else if (typeof v === 'string') {
      if (!isWellFormed(v)) errors.push({ path: pathOf(step), message: MESSAGE })
    } else if (v !== null && typeof v === 'object') {
      // Arrays too: their entries are their indexes, in order.
      const entries = Object.entries(v)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown]
        if (isWellFormed(key)) stack.push({ value: item, parent: step, key })
        else stack.push({ value: item, parent: step, key: key.replace(/\p{Cs}/gu, '\uFFFD'), badKey: true })
      }
    }
  }
  return errors
}

/** A 400 validation problem naming the fields, when any text in the inputs is not well-formed. */
export function refuseIllFormedText(inputs: [prefix: string, value: unknown][]): void {
  const errors = inputs.flatMap(([prefix, value]) => illFormedText(value, prefix))
  if (errors.length === 0) return
  throw badRequest(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
}
