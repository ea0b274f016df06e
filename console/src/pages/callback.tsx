import { useEffect, useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { api, describeProblem } from '../api'
import { consoleConfig } from '../console-config'
import { signIn } from '../session'
import { useTitle } from '../title'

/** The OIDC redirect target: trades the code for a token, then leaves no trace in the URL. */
export function Callback() {
  useTitle('Signing in')
  const { route } = useLocation()
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    const callback = new URL(location.href)
    // The code and state leave the address bar (and history) at once.
    history.replaceState(null, '', '/console/callback')
    consoleConfig()
      .then(async ({ oidc }) => {
        if (!oidc) throw new Error('This service has no identity provider configured.')
        const { finishSignIn } = await import('../oidc')
        const session = await finishSignIn(oidc, callback)
        const { error: problem } = await api.GET('/v1/roles', {
          params: { query: { limit: 1 } },
          headers: { authorization: `Bearer ${session.token}` },
        })
        if (problem) throw new Error(`The service refused the provider's token. ${describeProblem(problem)}`)
        signIn(session)
        route('/console/', true)
      })
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
  }, [route])
  return (
    <>
      <h1>{error ? 'Sign-in failed' : 'Signing in…'}</h1>
      {error ? (
        <>
          <p role="alert">{error}</p>
          <p>
            <a href="/console/sign-in">Back to sign-in</a>
          </p>
        </>
      ) : null}
    </>
  )
}
