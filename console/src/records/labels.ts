import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'

/**
 * Names for the ids a record page shows (a tenure's role and organization, a holder's name).
 * The API answers ids only, so each distinct id is looked up once per console load and kept;
 * roles, a short list, come in one call. These look-ups complete a page after it has rendered.
 */
const names = new Map<string, string>()
const pending = new Map<string, Promise<void>>()

type Kind = 'role' | 'organization' | 'contact'

function load(kind: Kind, id: string): Promise<void> {
  const key = kind === 'role' ? 'roles' : `${kind}:${id}`
  const running = pending.get(key)
  if (running) return running
  let job: Promise<void>
  if (kind === 'role') {
    job = api.GET('/v1/roles', { params: { query: { limit: 500 } } }).then(({ data }) => {
      if (data && typeof data === 'object') for (const r of data.items) names.set(`role:${r.id}`, r.name)
    })
  } else if (kind === 'organization') {
    job = api.GET('/v1/organizations/{id}', { params: { path: { id } } }).then(({ data }) => {
      if (data && typeof data === 'object')
        names.set(key, data.acronym ? `${data.name} (${data.acronym})` : data.name)
    })
  } else {
    job = api.GET('/v1/contacts/{id}', { params: { path: { id } } }).then(({ data }) => {
      if (data && typeof data === 'object') names.set(key, data.displayName)
    })
  }
  pending.set(key, job)
  return job
}

/** Remembers a name the page already has, so it is not looked up again. */
export function rememberName(kind: Kind, id: string, name: string) {
  names.set(`${kind}:${id}`, name)
}

/** A function from (kind, id) to a name, or the id until the name has arrived. */
export function useNames(wanted: readonly (readonly [Kind, string])[]): (kind: Kind, id: string) => string {
  const [, setTick] = useState(0)
  const key = wanted.map(([k, id]) => `${k}:${id}`).join(',')
  useEffect(() => {
    let live = true
    const missing = wanted.filter(([k, id]) => !names.has(`${k}:${id}`))
    if (missing.length === 0) return
    Promise.all(missing.map(([k, id]) => load(k, id))).then(() => {
      if (live) setTick((t) => t + 1)
    })
    return () => {
      live = false
    }
    // `key` stands for `wanted`, which is a new array on every render.
  }, [key])
  return (kind, id) => names.get(`${kind}:${id}`) ?? 'Loading…'
}
