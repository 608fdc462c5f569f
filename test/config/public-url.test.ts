import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../src/config/errors.js';
import { loadConfig } from '../../src/server/config.js';

const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/** The configuration error of a production start with this public URL, if any. */
function productionError(publicUrl: string): string | undefined {
  try {
    loadConfig({
      env: { PASSGATE_PUBLIC_URL: publicUrl, PASSGATE_MASTER_KEY: MASTER_KEY },
      overrides: { mode: 'production', dispatch: { gateways: [] } },
    });
    return undefined;
  } catch (error) {
    if (ConfigErrors.is(error)) return error.message;
    throw error;
  }
}

describe('the public URL and the mode', () => {
  it('refuses a plain-http public URL to another machine in production, naming the key', () => {
    expect(productionError('http://192.0.2.2:3312')).toMatch(
      /^server\.publicUrl: production needs an https address/,
    );
    expect(productionError('http://idp.example.test')).toMatch(/^server\.publicUrl: /);
  });

  it('accepts https, and plain http on this machine only, in production', () => {
    expect(productionError('https://idp.example.test')).toBeUndefined();
    expect(productionError('http://localhost:3000')).toBeUndefined();
    expect(productionError('http://127.0.0.1:3000')).toBeUndefined();
  });

  it('accepts plain http to any address in development', () => {
    expect(loadConfig({ env: { PASSGATE_PUBLIC_URL: 'http://192.0.2.2:3312' } }).server.publicUrl).toBe(
      'http://192.0.2.2:3312',
    );
  });
});
