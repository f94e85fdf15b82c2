import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { scopesForGroups, TOKEN_ALGORITHM, type TokenStatus } from '@car-check/service-kit';
import type { PrismaClient } from '../prisma';
import type { AuthConfig } from './config';
import type { SigningKeys } from './keys';

export interface IssuedToken {
  token: string;
  tokenId: string;
  expiresAt: Date;
}

/**
 * The user service's token life cycle: every token it signs is recorded, so it
 * can be revoked, and its status (revoked, expired, user deactivated) is what
 * the gateway asks about before trusting a signature.
 */
export class TokenService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly keys: SigningKeys,
    private readonly config: AuthConfig,
  ) {}

  get publicJwk() {
    return this.keys.publicJwk;
  }

  async issue(
    userId: string,
    now = new Date(),
    client: Pick<PrismaClient, 'token'> = this.prisma,
  ): Promise<IssuedToken> {
    const tokenId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.config.tokenTtlSeconds * 1000);
    await client.token.create({ data: { id: tokenId, userId, issuedAt: now, expiresAt } });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: this.keys.kid, typ: 'JWT' })
      .setSubject(userId)
      .setJti(tokenId)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.keys.privateKey);
    return { token, tokenId, expiresAt };
  }

  /** Revokes one token; false when it was not the user's or already revoked. */
  async revoke(tokenId: string, userId: string, client: Pick<PrismaClient, 'token'> = this.prisma): Promise<boolean> {
    const { count } = await client.token.updateMany({
      where: { id: tokenId, userId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count > 0;
  }

  /** Revokes every live token of a user (optionally sparing one); returns how many. */
  async revokeAll(
    userId: string,
    except?: string | null,
    client: Pick<PrismaClient, 'token'> = this.prisma,
  ): Promise<number> {
    const { count } = await client.token.updateMany({
      where: { userId, revokedAt: null, expiresAt: { gt: new Date() }, ...(except ? { id: { not: except } } : {}) },
      data: { revokedAt: new Date() },
    });
    return count;
  }

  async status(tokenId: string, userId: string, now = new Date()): Promise<TokenStatus> {
    const token = await this.prisma.token.findUnique({ where: { id: tokenId }, include: { user: true } });
    const active =
      !!token && token.userId === userId && !token.revokedAt && token.expiresAt > now && token.user.isActive;
    return { active, scopes: active ? scopesForGroups(token.user.groups) : [] };
  }
}
