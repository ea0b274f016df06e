import createClient, { type Middleware } from 'openapi-fetch'
import type { components, paths } from './generated/openapi'
import { getSession, signOut } from './session'

export type Schemas = components['schemas']
export type Problem = Schemas['Problem']

/**
 * The public API, typed from the committed contract; the only way the console reads or writes.
 * Typed by its JSON answers: the CSV and vCard forms of the same operations are fetched as files.
 */
export const api = createClient<paths, 'application/json'>({ baseUrl: location.origin })

const auth: Middleware = {
  onRequest({ request }) {
    const session = getSession()
    if (session) request.headers.set('authorization', `Bearer ${session.token}`)
    return request
  },
  onResponse({ request, response }) {
    // A token the service no longer accepts (expired, revoked key) ends the session.
    if (response.status === 401 && request.headers.has('authorization')) signOut()
    return response
  },
}
api.use(auth)

/** A problem+json answer as one readable line. */
export function describeProblem(error: unknown): string {
  const p = error as Partial<Problem> | undefined
  if (!p || typeof p !== 'object') return 'The service did not answer.'
  return [p.title, p.detail].filter(Boolean).join(': ') || 'The request failed.'
}
