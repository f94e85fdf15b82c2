/**
 * Delete behind one confirmation: "Delete" asks `question` (onAsk), then "Yes, delete" (onConfirm,
 * disabled while `busy`) or "Cancel" (onCancel). The caller keeps whether it is asking.
 */
export function ConfirmDelete({
  question,
  confirming,
  busy,
  onAsk,
  onConfirm,
  onCancel,
}: {
  question: string;
  confirming: boolean;
  busy: boolean;
  onAsk: () => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return confirming ? (
    <>
      <span>{question}</span>
      <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
        Yes, delete
      </button>
      <button type="button" className="secondary" onClick={onCancel}>
        Cancel
      </button>
    </>
  ) : (
    <button type="button" className="danger" onClick={onAsk}>
      Delete
    </button>
  );
}
