import { useState } from 'preact/hooks'
import { api, describeProblem } from '../api'
import { formatInstant } from './format'

/**
 * "Verified today": POST /v1/{contacts|organizations}/{id}/verify, with If-Match when the page
 * knows the version. A control the token may not use is disabled with the reason beside it.
 */
export function VerifyButton(props: {
  entity: 'contact' | 'organization'
  id: string
  version?: number
  denied: string | null
  label?: string
  onVerified: (lastVerifiedAt: string, version: number) => void
}) {
  const [message, setMessage] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const reasonId = `verify-reason-${props.id}`
  async function verify() {
    setBusy(true)
    setMessage(null)
    const init = {
      params: {
        path: { id: props.id },
        header: props.version === undefined ? {} : { 'if-match': `"${props.version}"` },
      },
    }
    const { data, error, response } =
      props.entity === 'contact'
        ? await api.POST('/v1/contacts/{id}/verify', init)
        : await api.POST('/v1/organizations/{id}/verify', init)
    setBusy(false)
    if (data?.lastVerifiedAt) {
      setMessage(`Verified ${formatInstant(data.lastVerifiedAt)}.`)
      props.onVerified(data.lastVerifiedAt, data.version)
    } else if (response.status === 412) {
      setMessage('The record changed meanwhile: reload the page to see it, then verify.')
    } else {
      setMessage(describeProblem(error))
    }
  }
  return (
    <span class="verify">
      <button
        type="button"
        disabled={busy || props.denied !== null}
        aria-describedby={props.denied ? reasonId : undefined}
        onClick={() => void verify()}
      >
        {props.label ?? 'Verified today'}
      </button>
      {props.denied ? (
        <span class="reason" id={reasonId}>
          {props.denied}
        </span>
      ) : null}
      <span role="status">{message}</span>
    </span>
  )
}
