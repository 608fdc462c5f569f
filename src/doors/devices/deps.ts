import type { Request } from 'express';
import type { DeviceApprovals } from '../../devices/approvals.js';
import type { Device } from '../../store/repositories/devices.js';
import type { UsersRepository } from '../../store/repositories/users.js';
import type { CsrfProtection } from '../../web/csrf.js';
import type { PageRenderer } from '../../web/render.js';
import type { SiteSession, SiteSessions } from '../../web/site-sessions.js';
import type { SecondFactorSiteFlows } from '../site-sign-in.js';
import type { PendingDeviceSignIn } from './login-flows.js';

/** What the Device Provisioning site's pages are built from (see createDeviceSite). */
export interface DeviceSiteDeps {
  sessions: SiteSessions<SiteSession>;
  flows: SecondFactorSiteFlows<PendingDeviceSignIn>;
  /** The engine's one service that approves, rejects and removes devices, with audit and attempts. */
  approvals: Pick<DeviceApprovals, 'approve' | 'reject' | 'remove' | 'owned'>;
  /** A user's devices, most recently seen first. */
  devicesOf(userId: string): Promise<Device[]>;
  users: Pick<UsersRepository, 'findById'>;
  render: PageRenderer;
  csrf: CsrfProtection;
  language(req: Request): string;
  maxBodyBytes: number;
}
