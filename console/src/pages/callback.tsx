import { useTitle } from '../title'

/** The OIDC redirect target (Authorization Code with PKCE). */
export function Callback() {
  useTitle('Signing in')
  return <h1>Signing in…</h1>
}
