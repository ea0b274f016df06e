import type { Schemas } from '../api'
import { canWrite, type Session } from '../session'

/**
 * Why the session may not change a record, or null when it may. The service decides every
 * request; this only keeps controls it would refuse disabled, with the reason shown.
 */
function baseReason(s: Session | null): string | null {
  if (!s) return 'Sign in with a token that has directory:write to change records.'
  if (!canWrite(s)) return 'Your token may only read: changing records needs directory:write.'
  return null
}

const limited = (s: Session) => `Your token may change records of ${s.states?.join(', ')} only`

/** A contact: one without assignments, or with any assignment (current or ended) in the token's states. */
export function contactDenied(
  s: Session | null,
  assignments: readonly Schemas['Assignment'][],
): string | null {
  const reason = baseReason(s)
  if (reason || !s?.states || assignments.length === 0) return reason
  const states = s.states
  return assignments.some((a) => a.stateCode !== null && states.includes(a.stateCode))
    ? null
    : `${limited(s)}; this person is assigned elsewhere.`
}

/** An organization or assignment: by its stateCode (none: an unrestricted token only). */
export function stateDenied(s: Session | null, stateCode: string | null): string | null {
  const reason = baseReason(s)
  if (reason || !s?.states) return reason
  if (stateCode === null) return `${limited(s)}; this record belongs to no state.`
  return s.states.includes(stateCode) ? null : `${limited(s)}; this record belongs to ${stateCode}.`
}

/** For a list that does not say which state a record is in: only scope is known. */
export function writeDenied(s: Session | null): string | null {
  return baseReason(s)
}
