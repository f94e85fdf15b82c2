import express, { type Express } from 'express';
import { z } from 'zod';
import {
  errorBody,
  JWKS_PATH,
  keepRawBody,
  type Logger,
  requireGatewaySignature,
  type SignatureCheck,
  TOKEN_STATUS_PATH,
} from '@car-check/service-kit';
import type { TokenService } from './tokens';

const statusRequest = z.object({ tokenId: z.uuid(), userId: z.uuid() });

/**
 * The user service's HTTP side of authentication: its public keys (open, so
 * anyone can verify its tokens) and token status (for the gateway only).
 */
export function authRoutes(tokens: TokenService, signatures: SignatureCheck, log: Logger) {
  return (app: Express): void => {
    app.get(JWKS_PATH, (_req, res) => {
      res.set('cache-control', 'public, max-age=300').json({ keys: [tokens.publicJwk] });
    });
    app.post(
      TOKEN_STATUS_PATH,
      express.json({ limit: '4kb', verify: keepRawBody }),
      requireGatewaySignature(signatures, log),
      async (req, res, next) => {
        const parsed = statusRequest.safeParse(req.body);
        if (!parsed.success) {
          res.status(400).json(errorBody('INVALID_ARGUMENT', 'Expected { tokenId, userId }.'));
          return;
        }
        try {
          res.set('cache-control', 'no-store').json(await tokens.status(parsed.data.tokenId, parsed.data.userId));
        } catch (error) {
          next(error);
        }
      },
    );
  };
}
