/** An edit control, disabled with the reason when the token may not use it. */
export function EditButton(props: { label: string; denied: string | null; id: string; onClick: () => void }) {
  const reasonId = `edit-reason-${props.id}`
  return (
    <p class="edit-control">
      <button
        type="button"
        class="secondary"
        disabled={props.denied !== null}
        aria-describedby={props.denied ? reasonId : undefined}
        onClick={props.onClick}
      >
        {props.label}
      </button>
      {props.denied ? (
        <span class="reason" id={reasonId}>
          {' '}
          {props.denied}
        </span>
      ) : null}
    </p>
  )
}
