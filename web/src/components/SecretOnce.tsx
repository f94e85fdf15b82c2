import { useState } from 'react';

/** A signing secret (or, for Ed25519, the public key) the graph returned once. */
export interface ShownSecret {
  endpointId: string;
  url: string;
  /** The `whsec_` secret; null for an Ed25519 endpoint (its receivers verify with `publicKey`). */
  secret: string | null;
  publicKey: string | null;
  why: 'registered' | 'rotated';
}

/**
 * The secret right after a create or a rotation: the only time the graph returns it.
 * Kept in component state only (never in the URL, storage or the Apollo cache's
 * queries), and gone when dismissed or when the page is left.
 */
export function SecretOnce({ shown, onDone }: { shown: ShownSecret; onDone: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const value = shown.secret ?? shown.publicKey ?? '';

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      setCopied('failed'); // no clipboard permission (or not a secure context): select the text instead
    }
  }

  return (
    <div className="secret-once" role="status" data-testid="secret-once">
      <strong>
        {shown.why === 'registered' ? 'Endpoint registered' : 'Secret rotated'}: <code>{shown.url}</code>
      </strong>
      {shown.secret ? (
        <>
          <p>
            Its signing secret (HMAC-SHA256, Standard Webhooks):{' '}
            <code className="secret" data-testid="secret">
              {shown.secret}
            </code>
          </p>
          <p className="warning" data-testid="secret-warning">
            Copy it now: <strong>you will not see it again.</strong> The graph stores it encrypted and never returns it;
            if it is lost, rotate it.
            {shown.why === 'rotated' ? ' The previous secret keeps signing next to it for 24 hours.' : ''}
          </p>
        </>
      ) : (
        <div>
          Deliveries are signed with Ed25519; receivers verify them with this public key (also shown on the endpoint):
          <pre className="secret" data-testid="public-key">
            {shown.publicKey}
          </pre>
        </div>
      )}
      <div className="actions">
        <button type="button" onClick={copy} data-testid="copy-secret">
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
        {copied === 'failed' ? <span>Copying is not allowed here: select the text and copy it.</span> : null}
        <button type="button" className="secondary" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </div>
  );
}
