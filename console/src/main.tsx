import { render } from 'preact'
import { LocationProvider, Route, Router } from 'preact-iso'
import { Layout } from './layout'
import { Callback } from './pages/callback'
import { ChangesPage } from './pages/changes'
import { ImportPage } from './pages/import'
import { NotFound } from './pages/not-found'
import { OrganizationPage } from './pages/organization'
import { Overview } from './pages/overview'
import { PersonPage } from './pages/person'
import { SignIn } from './pages/sign-in'
import { StalePage } from './pages/stale'
import { StatePage } from './pages/state'
import './styles.css'

/** Every route of the console; one file per page under pages/. */
function App() {
  return (
    <LocationProvider scope="/console">
      <Layout>
        <Router>
          <Route path="/console/" component={Overview} />
          <Route path="/console/sign-in" component={SignIn} />
          <Route path="/console/callback" component={Callback} />
          <Route path="/console/states/:code" component={StatePage} />
          <Route path="/console/contacts/:id" component={PersonPage} />
          <Route path="/console/organizations/:id" component={OrganizationPage} />
          <Route path="/console/stale" component={StalePage} />
          <Route path="/console/import" component={ImportPage} />
          <Route path="/console/changes" component={ChangesPage} />
          <Route default component={NotFound} />
        </Router>
      </Layout>
    </LocationProvider>
  )
}

const root = document.getElementById('app')
if (root) render(<App />, root)
