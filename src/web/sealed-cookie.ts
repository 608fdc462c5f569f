import type { Request, Response } from 'express';
import type { SecretBox } from '../crypto/secret-box.js';

/** Where a sealed cookie lives and how it is sent. */
export interface SealedCookieOptions {
  name: string;
  path: string;
  secure: boolean;
}

/**
 * A small JSON value kept by the browser (a site's session: self-service, administration; a verified password-reset journey), sealed (AES-256-GCM under the master key, the cookie's
 * name bound as associated data): the browser can neither read nor change it, and a cookie of
 * one purpose cannot be replayed as another. Expiry is inside the value, so it holds even when
 * a browser keeps the cookie longer than asked.
 */
export class SealedCookie<T extends { expiresAt: number }> {
  constructor(
    private readonly box: SecretBox,
    private readonly options: SealedCookieOptions,
  ) {}

  /** The value, or undefined when the cookie is missing, forged, of another purpose or expired. */
  read(req: Request, now: number): T | undefined {
    const sealed = (req.cookies as Record<string, string | undefined>)[this.options.name];
    if (!sealed) return undefined;
    try {
      const value = JSON.parse(this.box.open(sealed, this.context).toString('utf8')) as T;
      return typeof value.expiresAt === 'number' && value.expiresAt > now ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** Sets the cookie (httpOnly, SameSite=Lax, Secure over https); the browser drops it at expiry too. */
  write(res: Response, value: T, now: number): void {
    res.cookie(this.options.name, this.box.seal(JSON.stringify(value), this.context), {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.options.secure,
      path: this.options.path,
      maxAge: Math.max(0, value.expiresAt - now),
    });
  }

  /** Drops the cookie. */
  clear(res: Response): void {
    res.clearCookie(this.options.name, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.options.secure,
      path: this.options.path,
    });
  }

  private get context(): string {
    return `cookie:${this.options.name}`;
  }
}
