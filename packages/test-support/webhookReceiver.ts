import { createPublicKey, verify } from 'node:crypto';
import express from 'express';
import { Webhook } from 'standardwebhooks';
import { listen, type RunningServer } from '@car-check/service-kit';

/** One request the receiver got, and whether its signature verified as a receiver would check it. */
export interface ReceivedWebhook {
  messageId: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The body parsed (the CloudEvent). */
  event: { id: string; type: string; subject: string; sequence: string; source: string; data: Record<string, unknown> };
  /** Verified by the `standardwebhooks` package (HMAC) or Ed25519 with the endpoint's public key. */
  verified: boolean;
  /** The status the receiver answered. */
  status: number;
  receivedAt: number;
}

/** What to answer the n-th request (0-based): a status, optionally after a delay. */
export type Answer = (request: { index: number; body: string }) => { status: number; delayMs?: number };

/** Verifies `v1a,` Ed25519 signatures of the Standard Webhooks spec (the npm package checks HMAC only). */
function verifiesEd25519(
  publicKeyPem: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
) {
  const content = Buffer.from(`${headers.id}.${headers.timestamp}.${body}`);
  const key = createPublicKey(publicKeyPem);
  return headers.signature
    .split(' ')
    .filter((part) => part.startsWith('v1a,'))
    .some((part) => verify(null, content, key, Buffer.from(part.slice(4), 'base64')));
}

/**
 * A webhook receiver for tests: records every request, verifies it with the secrets (or
 * public keys) the test gives it, and answers what `answer` says (200 by default).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** `whsec_` secrets any one of which must verify a request (set from the create mutation). */
  secrets: string[] = [];
  /** SPKI PEM public keys for ED25519 endpoints. */
  publicKeys: string[] = [];
  answer: Answer = () => ({ status: 200 });
  private server?: RunningServer;

  /** Fails the first `k` requests with `status`, then answers 200. */
  failFirst(k: number, status = 500): this {
    this.answer = ({ index }) => ({ status: index < k ? status : 200 });
    return this;
  }

  /** Whether a request verifies with the given `whsec_` secret alone. */
  static verifiesWith(
    secret: string,
    request: Pick<ReceivedWebhook, 'messageId' | 'timestamp' | 'signature' | 'body'>,
  ): boolean {
    try {
      new Webhook(secret).verify(request.body, {
        'webhook-id': request.messageId,
        'webhook-timestamp': request.timestamp,
        'webhook-signature': request.signature,
      });
      return true;
    } catch {
      return false;
    }
  }

  async start(): Promise<string> {
    const app = express();
    app.post('/hook', express.text({ type: '*/*', limit: '5mb' }), (req, res) => {
      const body = typeof req.body === 'string' ? req.body : '';
      const headers = {
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
      };
      const verified =
        this.secrets.some((secret) =>
          WebhookReceiver.verifiesWith(secret, { ...headers, messageId: headers.id, body }),
        ) || this.publicKeys.some((key) => verifiesEd25519(key, headers, body));
      const { status, delayMs = 0 } = this.answer({ index: this.received.length, body });
      let event: ReceivedWebhook['event'];
      try {
        event = JSON.parse(body) as ReceivedWebhook['event'];
      } catch {
        event = { id: '', type: '', subject: '', sequence: '', source: '', data: {} };
      }
      this.received.push({
        messageId: headers.id,
        timestamp: headers.timestamp,
        signature: headers.signature,
        body,
        event,
        verified,
        status,
        receivedAt: Date.now(),
      });
      setTimeout(() => res.status(status).send('ok'), delayMs);
    });
    this.server = await listen(app, '127.0.0.1', 0);
    return `${this.server.url}/hook`;
  }

  /** The requests answered 2xx. */
  delivered(): ReceivedWebhook[] {
    return this.received.filter((request) => request.status >= 200 && request.status < 300);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }
}
