import { useTitle } from '../title'

export function NotFound() {
  useTitle('Page not found')
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <a href="/console/">Back to the overview</a>
      </p>
    </>
  )
}
