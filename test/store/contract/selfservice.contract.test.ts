import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../../src/crypto/secret-box.js';
import { openDatabase } from '../../../src/store/database.js';
import { PendingEnrolmentsRepository } from '../../../src/store/repositories/pending-enrolments.js';
import { RevokedSessionsRepository } from '../../../src/store/repositories/revoked-sessions.js';
import { type TokenStatus, TokensRepository } from '../../../src/store/repositories/tokens.js';
import { UsersRepository } from '../../../src/store/repositories/users.js';
import { describeContract, T0 } from './contract-store.js';

const MINUTE = 60_000;

describeContract('self-service', (store) => {
  let tokens: TokensRepository;
  let userId: string;

  beforeEach(async () => {
    tokens = new TokensRepository(store.database.db, createSecretBox(randomBytes(32)), () => T0);
    userId = (await new UsersRepository(store.database.db, () => T0).create({ username: 'alice' })).id;
  });

  const token = (id: string, status: TokenStatus) =>
    tokens.create({ id, userId, type: 'totp', secret: randomBytes(20), status });

  describe('PendingEnrolmentsRepository', () => {
    it('finds the open enrolments of the asked tokens, with their session and exact expiry, until they expire', async () => {
      const repo = new PendingEnrolmentsRepository(store.database.db);
      await repo.open({ tokenId: 'TOTPA', sessionId: 's1', expiresAt: T0 + 10 * MINUTE });
      await repo.open({ tokenId: 'TOTPB', sessionId: 's2', expiresAt: T0 + MINUTE });
      expect(await repo.findOpen([], T0)).toEqual([]);
      expect(await repo.findOpen(['TOTPA', 'TOTPX'], T0)).toEqual([
        { tokenId: 'TOTPA', sessionId: 's1', expiresAt: T0 + 10 * MINUTE },
      ]);
      expect((await repo.findOpen(['TOTPA', 'TOTPB'], T0 + MINUTE)).map((e) => e.tokenId)).toEqual(['TOTPA']);
      await repo.close('TOTPA');
      expect(await repo.findOpen(['TOTPA'], T0)).toEqual([]);
    });

    it('prunes pending tokens whose enrolment expired or never existed, and keeps open and confirmed ones', async () => {
      const repo = new PendingEnrolmentsRepository(store.database.db);
      await repo.open({ tokenId: 'TOTPOPEN', sessionId: 's', expiresAt: T0 + 10 * MINUTE });
      await repo.open({ tokenId: 'TOTPOLD', sessionId: 's', expiresAt: T0 + MINUTE });
      await repo.open({ tokenId: 'TOTPDONE', sessionId: 's', expiresAt: T0 + MINUTE });
      await token('TOTPOPEN', 'pending');
      await token('TOTPOLD', 'pending');
      await token('TOTPDONE', 'active');
      await token('TOTPORPHAN', 'pending'); // pending from before enrolments expired
      await token('TOTPACTIVE', 'active');

      expect(await repo.prune(T0 + 2 * MINUTE)).toBe(2);
      const left = (await tokens.listByUser(userId)).map((t) => t.id).sort();
      expect(left).toEqual(['TOTPACTIVE', 'TOTPDONE', 'TOTPOPEN']);
      expect((await repo.findOpen(['TOTPOPEN', 'TOTPOLD', 'TOTPDONE'], T0)).map((e) => e.tokenId)).toEqual([
        'TOTPOPEN',
      ]);
      expect(await repo.prune(T0 + 2 * MINUTE)).toBe(0);
    });
  });

  describe('RevokedSessionsRepository', () => {
    it('revokes a session for every process, once even when revoked twice, until pruned after its expiry', async () => {
      const repo = new RevokedSessionsRepository(store.database.db);
      const otherProcess = await openDatabase(store.url);
      try {
        await repo.revoke('sid-1', T0 + 10 * MINUTE);
        await repo.revoke('sid-1', T0 + 20 * MINUTE); // a second sign-out of a copy
        await repo.revoke('sid-2', T0 + 30 * MINUTE);
        const elsewhere = new RevokedSessionsRepository(otherProcess.db);
        expect(await elsewhere.isRevoked('sid-1')).toBe(true);
        expect(await elsewhere.isRevoked('sid-3')).toBe(false);
        expect(await repo.prune(T0 + 10 * MINUTE)).toBe(1);
        expect(await repo.isRevoked('sid-1')).toBe(false);
        expect(await repo.isRevoked('sid-2')).toBe(true);
      } finally {
        await otherProcess.close();
      }
    });
  });
});
