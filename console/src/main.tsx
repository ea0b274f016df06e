import { render } from 'preact'
import { LocationProvider, Route, Router } from 'preact-iso'
import { Layout } from './layout'
import { Callback } from './pages/callback'
import { NotFound } from './pages/not-found'
import { Overview } from './pages/overview'
import { SignIn } from './pages/sign-in'
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
          <Route default component={NotFound} />
        </Router>
      </Layout>
    </LocationProvider>
  )
}

const root = document.getElementById('app')
if (root) render(<App />, root)
