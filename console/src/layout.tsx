import type { ComponentChildren } from 'preact'
import { useLocation } from 'preact-iso'
import { SearchBox } from './search-box'
import { signOut, useSession } from './session'

export function Layout({ children }: { children: ComponentChildren }) {
  const session = useSession()
  const { route } = useLocation()
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/console/">
          pocdir
        </a>
        <SearchBox />
        <nav aria-label="Sections" class="sections">
          <a href="/console/stale">Stale</a>
          <a href="/console/changes">Changes</a>
          <a href="/console/import">Import</a>
        </nav>
        <nav aria-label="Account" class="account">
          {session ? (
            <>
              <span class="who" data-testid="signed-in-as">
                {session.sub}
                {session.states ? ` (${session.states.join(', ')})` : ''}
              </span>
              <button
                type="button"
                onClick={() => {
                  signOut()
                  route('/console/')
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <a href="/console/sign-in">Sign in</a>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="bottom">
        <a href="/v1/privacy">Privacy notice</a>
        <a href="/docs">API reference</a>
      </footer>
    </>
  )
}
