import { useState } from 'preact/hooks'
import { describeProblem } from '../api'

/**
 * Saves an export the API answered. The token cannot go in a URL, so the file is fetched with
 * the bearer header (through the API client), held as a Blob and saved through an object URL.
 */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** The file name the answer's Content-Disposition gives, else the fallback. */
export function filenameOf(response: Response, fallback: string): string {
  const cd = response.headers.get('content-disposition') ?? ''
  return /filename="?([^";]+)"?/.exec(cd)?.[1] ?? fallback
}

type Fetcher = () => Promise<{ data?: unknown; error?: unknown; response: Response }>

/** A button that downloads one export. */
export function ExportButton({
  label,
  fetcher,
  fallback,
}: {
  label: string
  fetcher: Fetcher
  fallback: string
}) {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <span class="export">
      <button
        type="button"
        class="secondary"
        disabled={busy}
        onClick={async () => {
          setBusy(true)
          setError(null)
          try {
            const { data, error, response } = await fetcher()
            if (response.ok && data instanceof Blob) saveBlob(data, filenameOf(response, fallback))
            else setError(describeProblem(error))
          } finally {
            setBusy(false)
          }
        }}
      >
        {label}
      </button>
      {error ? <span role="alert">{error}</span> : null}
    </span>
  )
}
