/** The search box in the header: people and organizations as you type (see pages for results). */
export function SearchBox() {
  return (
    <search class="search">
      <label for="search-input" class="visually-hidden">
        Search people and organizations
      </label>
      <input
        id="search-input"
        type="search"
        placeholder="Search people and organizations"
        autoComplete="off"
      />
    </search>
  )
}
