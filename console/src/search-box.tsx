import './search-box.css'
import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { useSearch } from './search'

interface Hit {
  href: string
  label: string
  detail: string
}

/**
 * The header's search box: people and organizations as you type, in any script or spelling
 * (the API's `q`). A combobox: the focus stays in the box, ArrowUp/ArrowDown move through the
 * results, Enter opens one, Escape closes the list.
 */
export function SearchBox() {
  const { route } = useLocation()
  const [text, setText] = useState('')
  const [active, setActive] = useState(0)
  const [closed, setClosed] = useState(false)
  const results = useSearch(text)
  const hits: Hit[] = [
    ...(results?.contacts ?? []).map((c) => ({
      href: `/console/contacts/${c.id}`,
      label: c.displayName,
      detail: [c.nameLatin !== c.displayName ? c.nameLatin : null, c.positionTitle, 'person']
        .filter(Boolean)
        .join(' · '),
    })),
    ...(results?.organizations ?? []).map((o) => ({
      href: `/console/organizations/${o.id}`,
      label: o.name,
      detail: [o.acronym, o.stateCode, 'organization'].filter(Boolean).join(' · '),
    })),
  ]
  const open = !closed && results !== null
  const go = (hit: Hit | undefined) => {
    if (!hit) return
    setText('')
    route(hit.href)
  }

  return (
    <search class="search">
      <label for="search-input" class="visually-hidden">
        Search people and organizations
      </label>
      <input
        id="search-input"
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls="search-results"
        aria-activedescendant={open && hits.length > 0 ? `search-hit-${active}` : undefined}
        placeholder="Search people and organizations"
        autoComplete="off"
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value)
          setActive(0)
          setClosed(false)
        }}
        onBlur={() => setClosed(true)}
        onFocus={() => setClosed(false)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault()
            setClosed(false)
            setActive((a) => Math.min(a + 1, hits.length - 1))
          } else if (e.key === 'ArrowUp') {
            e.preventDefault()
            setActive((a) => Math.max(a - 1, 0))
          } else if (e.key === 'Enter') {
            e.preventDefault()
            if (open) go(hits[active])
          } else if (e.key === 'Escape') {
            setClosed(true)
          }
        }}
      />
      {open ? (
        <div id="search-results" class="search-results" role="listbox" aria-label="Search results">
          {hits.length === 0 ? (
            <div role="option" aria-selected={false} aria-disabled="true" tabIndex={-1} class="none">
              Nobody and nothing found for “{text.trim()}”
            </div>
          ) : (
            hits.map((hit, i) => (
              <div
                key={hit.href}
                id={`search-hit-${i}`}
                role="option"
                aria-selected={i === active}
                // The box keeps the focus (aria-activedescendant); options take the mouse.
                tabIndex={-1}
                class={i === active ? 'active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault()
                  go(hit)
                }}
              >
                <span class="hit-label">{hit.label}</span> <span class="hit-detail">{hit.detail}</span>
              </div>
            ))
          )}
        </div>
      ) : null}
      {/* Announces how many results there are as they change. */}
      <p class="visually-hidden" aria-live="polite">
        {open ? `${hits.length} result${hits.length === 1 ? '' : 's'}` : ''}
      </p>
    </search>
  )
}
