import { useEffect, useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { api, describeProblem } from '../api'
import { type ConsoleConfig, consoleConfig } from '../console-config'
import { sessionFromToken, signIn } from '../session'
import { useTitle } from '../title'

export function SignIn() {
  useTitle('Sign in')
  const { route } = useLocation()
  const [config, setConfig] = useState<ConsoleConfig | null>(null)
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    consoleConfig().then(setConfig, () => setConfig({ oidc: null }))
  }, [])

  async function submit(e: Event) {
    e.preventDefault()
    const session = sessionFromToken(token, 'token')
    if (typeof session === 'string') {
      setError(session)
      return
    }
    setBusy(true)
    // One read with the token: the service says whether it accepts it (signature, issuer).
    const { error: problem } = await api.GET('/v1/roles', {
      params: { query: { limit: 1 } },
      headers: { authorization: `Bearer ${session.token}` },
    })
    setBusy(false)
    if (problem) {
      setError(`The service refused the token. ${describeProblem(problem)}`)
      return
    }
    setToken('')
    signIn(session)
    route('/console/')
  }

  return (
    <>
      <h1>Sign in</h1>
      {config?.oidc ? (
        <section aria-labelledby="oidc-heading">
          <h2 id="oidc-heading">With your organization's account</h2>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              const { oidc } = config
              if (!oidc) return
              setBusy(true)
              // The OIDC client is loaded only by those who use it.
              import('../oidc')
                .then(({ startSignIn }) => startSignIn(oidc))
                .catch((err: unknown) => {
                  setBusy(false)
                  setError(
                    `The identity provider cannot be reached: ${err instanceof Error ? err.message : err}`,
                  )
                })
            }}
          >
            Sign in with {new URL(config.oidc.issuer).host}
          </button>
        </section>
      ) : null}
      <section aria-labelledby="token-heading">
        <h2 id="token-heading">With a token</h2>
        <p>
          On the server host, mint a development token with the same environment as the service, for example:
        </p>
        <pre>
          <code>npm run -s pocdir -- token --scope directory:write --sub your-name</code>
        </pre>
        <p>
          Add <code>--states KG</code> to limit it to states. The token is kept in this tab only and forgotten
          when you sign out, close the tab or it expires.
        </p>
        <form onSubmit={submit} noValidate>
          {error ? (
            <p id="token-error" class="field-error" role="alert">
              <span class="visually-hidden">Error: </span>
              {error}
            </p>
          ) : null}
          <label for="token">Token</label>
          <textarea
            id="token"
            rows={4}
            spellcheck={false}
            autoComplete="off"
            value={token}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'token-error' : undefined}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            Sign in with this token
          </button>
        </form>
      </section>
    </>
  )
}
