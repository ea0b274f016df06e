import { useState } from 'preact/hooks'
import { api, describeProblem, type Problem, type Schemas } from '../api'
import { ExportButton } from '../records/download'
import { useSession } from '../session'
import { useTitle } from '../title'

type Result = Schemas['ImportResult']
type RowError = Schemas['RowError']
type Loaded = { name: string; type: 'text/csv' | 'application/x-ndjson' | 'application/json'; text: string }

/** The body type from the file name, as `pocdir import` chooses it. */
function typeOf(name: string): Loaded['type'] {
  if (/\.(ndjson|jsonl)$/i.test(name)) return 'application/x-ndjson'
  if (/\.json$/i.test(name)) return 'application/json'
  return 'text/csv'
}

function Counts({ result, caption }: { result: Result; caption: string }) {
  const kinds = ['organizations', 'contacts', 'assignments'] as const
  return (
    <table class="list counts" data-testid={result.dryRun ? 'dry-run-counts' : 'import-counts'}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Records</th>
          <th scope="col">Created</th>
          <th scope="col">Updated</th>
          <th scope="col">Unchanged</th>
        </tr>
      </thead>
      <tbody>
        {kinds.map((k) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{result.created[k]}</td>
            <td>{result.updated[k]}</td>
            <td>{result.unchanged[k]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Import: a file, its dry run (counts or row errors), then the import; and the exports. */
export function ImportPage() {
  useTitle('Import and export')
  const session = useSession()
  const [file, setFile] = useState<Loaded | null>(null)
  const [dryRun, setDryRun] = useState<Result | null>(null)
  const [done, setDone] = useState<Result | null>(null)
  const [rowErrors, setRowErrors] = useState<RowError[]>([])
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [state, setState] = useState('')

  const denied = !session
    ? 'Sign in with a token that has directory:import to import.'
    : session.scopes.has('directory:import')
      ? null
      : 'Your token may not import: that needs directory:import.'

  async function run(dry: boolean) {
    if (!file) return
    setBusy(true)
    setError(null)
    setRowErrors([])
    try {
      const { data, error, response } = await api.POST('/v1/imports', {
        params: { query: { dryRun: dry ? 'true' : 'false' } },
        body: file.text,
        // The file is sent as it is: CSV and NDJSON are not JSON, and JSON is already serialised.
        bodySerializer: (body: unknown) => body as string,
        headers: { 'content-type': file.type },
      })
      if (data) {
        if (dry) setDryRun(data)
        else {
          setDone(data)
          setDryRun(null)
        }
        return
      }
      const problem = error as Partial<Problem> | undefined
      const rows = (problem?.errors ?? []).filter((e): e is RowError => 'row' in e)
      setRowErrors(rows)
      setDryRun(null)
      setError(
        `${describeProblem(problem)}${response.status === 422 ? ' Fix the rows below and try again.' : ''}`,
      )
    } finally {
      setBusy(false)
    }
  }

  const upper = state.trim().toUpperCase()
  const stateQuery = /^[A-Z]{2}$/.test(upper) ? upper : undefined
  return (
    <>
      <h1>Import and export</h1>
      <section aria-labelledby="import">
        <h2 id="import">Import</h2>
        <p>
          A CSV, NDJSON or JSON file in the import's columns. A dry run shows what the import would do;
          nothing is written until you confirm. If any row is bad, nothing is imported.
        </p>
        <label for="import-file">File (CSV, NDJSON or JSON)</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,.ndjson,.jsonl,.json,text/csv,application/json"
          disabled={denied !== null}
          aria-describedby={denied ? 'import-reason' : undefined}
          onChange={async (e) => {
            const f = e.currentTarget.files?.[0]
            setDryRun(null)
            setDone(null)
            setRowErrors([])
            setError(null)
            setFile(f ? { name: f.name, type: typeOf(f.name), text: await f.text() } : null)
          }}
        />
        {denied ? (
          <p class="reason" id="import-reason">
            {denied}
          </p>
        ) : null}
        <div class="actions">
          <button type="button" disabled={!file || busy || denied !== null} onClick={() => void run(true)}>
            Dry run
          </button>
          <button
            type="button"
            disabled={!dryRun || busy || denied !== null}
            onClick={() => void run(false)}
            aria-describedby="confirm-help"
          >
            Import
          </button>
          <span class="muted" id="confirm-help">
            Import is enabled after a clean dry run of the same file.
          </span>
        </div>
        <div role="status">
          {dryRun ? (
            <Counts result={dryRun} caption={`Dry run of ${file?.name}: nothing written yet`} />
          ) : null}
          {done ? <Counts result={done} caption={`Imported ${file?.name}`} /> : null}
        </div>
        {error ? (
          <p role="alert" class="form-error">
            {error}
          </p>
        ) : null}
        {rowErrors.length > 0 ? (
          <table class="list" data-testid="row-errors">
            <caption>Rows refused</caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {rowErrors.map((e) => (
                <tr key={`${e.row}:${e.field}:${e.message}`}>
                  <td>{e.row}</td>
                  <td>{e.field}</td>
                  <td>{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      <section aria-labelledby="export">
        <h2 id="export">Export</h2>
        <p>Readers without directory:read get public details only, as in the API.</p>
        <label for="export-state">State (alpha-2 code; empty for all contacts)</label>
        <input
          id="export-state"
          value={state}
          maxLength={2}
          onInput={(e) => setState(e.currentTarget.value)}
        />
        <div class="actions">
          <ExportButton
            label="Contacts (CSV)"
            fallback="contacts.csv"
            fetcher={() =>
              api.GET('/v1/contacts', {
                params: { query: { state: stateQuery } },
                headers: { accept: 'text/csv' },
                parseAs: 'blob',
              })
            }
          />
          <ExportButton
            label="Contacts (vCard)"
            fallback="contacts.vcf"
            fetcher={() =>
              api.GET('/v1/contacts', {
                params: { query: { state: stateQuery } },
                headers: { accept: 'text/vcard' },
                parseAs: 'blob',
              })
            }
          />
          {stateQuery ? (
            <ExportButton
              label={`Directory of ${stateQuery} (CSV)`}
              fallback={`directory-${stateQuery}.csv`}
              fetcher={() =>
                api.GET('/v1/directory', {
                  params: { query: { state: stateQuery } },
                  headers: { accept: 'text/csv' },
                  parseAs: 'blob',
                })
              }
            />
          ) : null}
        </div>
      </section>
    </>
  )
}
