import { useEffect, useState } from 'preact/hooks'

/**
 * The signed-in reader: the bearer token and what its claims say. The token lives in
 * sessionStorage only (gone with the tab), is dropped on sign-out and when `exp` passes, and is
 * never put in a URL. The claims are read, not verified: the service verifies every request.
 */
export interface Session {
  token: string
  sub: string
  scopes: ReadonlySet<string>
  /** States a limited token may change; null means unrestricted. */
  states: readonly string[] | null
  /** Expiry, milliseconds since the epoch. */
  expiresAt: number
  via: 'token' | 'oidc'
}

const KEY = 'pocdir.session'

type Claims = { sub?: unknown; scope?: unknown; exp?: unknown; states?: unknown }

function decodeClaims(token: string): Claims | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0))
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return claims && typeof claims === 'object' ? (claims as Claims) : null
  } catch {
    return null
  }
}

/** Effective scopes, as the service applies them (admin ⇒ all, write ⇒ read). */
function effectiveScopes(scope: string): Set<string> {
  const granted = new Set(scope.split(' ').filter(Boolean))
  if (granted.has('directory:admin')) {
    return new Set(['directory:read', 'directory:write', 'directory:import', 'directory:admin'])
  }
  if (granted.has('directory:write')) granted.add('directory:read')
  return granted
}

/** A session from a token, or why the token cannot be used. */
export function sessionFromToken(token: string, via: Session['via']): Session | string {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '')
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(trimmed)) {
    return 'This is not a token: a token is three parts separated by dots (a JWT).'
  }
  const claims = decodeClaims(trimmed)
  if (!claims) return 'The token cannot be read.'
  if (typeof claims.exp !== 'number') return 'The token has no expiry (exp); the service refuses such tokens.'
  if (claims.exp * 1000 <= Date.now()) return 'The token has expired. Mint a new one.'
  if (typeof claims.sub !== 'string' || claims.sub === '') return 'The token has no subject (sub).'
  const states =
    Array.isArray(claims.states) && claims.states.every((s) => typeof s === 'string')
      ? (claims.states as string[])
      : null
  return {
    token: trimmed,
    sub: claims.sub,
    scopes: effectiveScopes(typeof claims.scope === 'string' ? claims.scope : ''),
    states,
    expiresAt: claims.exp * 1000,
    via,
  }
}

let current: Session | null = null
let expiryTimer: ReturnType<typeof setTimeout> | undefined
const listeners = new Set<(s: Session | null) => void>()

function publish(next: Session | null) {
  current = next
  clearTimeout(expiryTimer)
  if (next) {
    // Timers fire early past ~24.8 days; a token that lives that long is re-checked then.
    expiryTimer = setTimeout(() => signOut(), Math.min(next.expiresAt - Date.now(), 2 ** 31 - 1))
  }
  for (const l of listeners) l(next)
}

export function signIn(session: Session) {
  sessionStorage.setItem(KEY, JSON.stringify({ token: session.token, via: session.via }))
  publish(session)
}

export function signOut() {
  sessionStorage.removeItem(KEY)
  publish(null)
}

/** The session, or null when signed out or expired (an expired one is dropped here). */
export function getSession(): Session | null {
  if (current && current.expiresAt <= Date.now()) signOut()
  return current
}

function restore() {
  const stored = sessionStorage.getItem(KEY)
  if (!stored) return
  try {
    const { token, via } = JSON.parse(stored) as { token: string; via: Session['via'] }
    const session = sessionFromToken(token, via)
    if (typeof session === 'string') sessionStorage.removeItem(KEY)
    else publish(session)
  } catch {
    sessionStorage.removeItem(KEY)
  }
}
restore()

export function useSession(): Session | null {
  const [session, setSession] = useState(getSession)
  useEffect(() => {
    listeners.add(setSession)
    return () => {
      listeners.delete(setSession)
    }
  }, [])
  return session
}

export const canWrite = (s: Session | null) => s?.scopes.has('directory:write') ?? false
export const canReadRestricted = (s: Session | null) => s?.scopes.has('directory:read') ?? false

/** Whether the session may change records of `stateCode` (null: a record without a state). */
export function mayChangeState(s: Session | null, stateCode: string | null): boolean {
  if (!canWrite(s)) return false
  if (!s?.states) return true
  return stateCode !== null && s.states.includes(stateCode)
}
