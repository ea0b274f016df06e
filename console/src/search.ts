import { useEffect, useState } from 'preact/hooks'
import { api, type Schemas } from './api'

export interface SearchResults {
  contacts: Schemas['Contact'][]
  organizations: Schemas['Organization'][]
}

const EMPTY: SearchResults = { contacts: [], organizations: [] }

/**
 * People (and, unless `peopleOnly`, organizations) matching `text` as it is typed, through the
 * API's `q` (any script, common transliterations). Waits for a pause in typing; an answer to an
 * older text never replaces a newer one.
 */
export function useSearch(text: string, { peopleOnly = false, limit = 6 } = {}): SearchResults | null {
  const [results, setResults] = useState<SearchResults | null>(null)
  useEffect(() => {
    const q = text.trim()
    if (q.length < 2) {
      setResults(null)
      return
    }
    let stale = false
    const timer = setTimeout(async () => {
      const query = { params: { query: { q, limit } } }
      const [contacts, organizations] = await Promise.all([
        api.GET('/v1/contacts', query),
        peopleOnly ? Promise.resolve(null) : api.GET('/v1/organizations', query),
      ])
      if (stale) return
      setResults({
        // Contacts also answer CSV and vCard; the console asks for (and gets) JSON.
        contacts: contacts.data && typeof contacts.data === 'object' ? contacts.data.items : EMPTY.contacts,
        organizations: organizations?.data?.items ?? EMPTY.organizations,
      })
    }, 150)
    return () => {
      stale = true
      clearTimeout(timer)
    }
  }, [text, peopleOnly, limit])
  return results
}
