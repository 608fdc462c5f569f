import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { RateLimitedRoutes } from '../config/rate-limit-schema.js';
import type { Logger } from '../observability/logger.js';
import type { Door, PruneJob } from './door.js';

/** What the server must know of a deferred door before its modules are loaded. */
export interface DeferredDoorShape {
  /** Path prefixes its routers answer (e.g. `/saml/`): other requests never wait for it. */
  pathPrefixes: string[];
  rateLimited?: RateLimitedRoutes[];
  /** Its prune jobs, which need the store only: they run without loading the door. */
  pruneJobs?: PruneJob[];
  /**
   * Whether the door has anything to serve yet (its metadata folder holds applications): when
   * not, the warm-up and a reload leave it unloaded, and only a request to one of its paths (or
   * the administration site's list of applications) loads it. Default: always.
   */
  inUse?: () => boolean;
  /** Whether it carries sign-ins on the hosted login pages. */
  loginFlows?: boolean;
}

/** A deferred door: the contract, and the door itself once loaded. */
export interface DeferredDoor<D extends Door> extends Door {
  /** The loaded door (loads it now if nothing has yet). */
  loaded(): Promise<D>;
}

/**
 * A door whose modules (and heavy libraries: samlify, the XML schema) are loaded only when first
 * needed, so that the server is ready sooner: by the server's warm-up right after ready (when the
 * door is in use, see `inUse`), or by the first request to one of its paths, whichever comes
 * first. A door never loaded has no keys to refresh (it reads them when it loads) and no
 * metadata to reload unless it is in use now. A load that fails is logged and tried again by the
 * next use.
 */
export function deferDoor<D extends Door>(
  load: () => Promise<D>,
  shape: DeferredDoorShape,
  logger: Logger,
): DeferredDoor<D> {
  let loading: Promise<D> | undefined;
  const loaded = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      logger.error({ err: error }, 'a door failed to load');
      throw error;
    });
    return loading;
  };
  const owns = (path: string) => shape.pathPrefixes.some((prefix) => path.startsWith(prefix));
  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!owns(req.path)) return next();
    loaded().then((door) => runRouters(door.routers ?? [], req, res, next), next);
  });
  const inUse = shape.inUse ?? (() => true);
  /** The door if its load has started (and not failed). */
  const started = async () => (loading ? await loading.catch(() => undefined) : undefined);
  return {
    loaded,
    routers: [router],
    ...(shape.rateLimited ? { rateLimited: shape.rateLimited } : {}),
    ...(shape.loginFlows
      ? {
          loginFlows: {
            // A door not in use has started no flow, in this process or another.
            load: async (req, res, uid) =>
              loading || inUse() ? (await loaded()).loginFlows?.load(req, res, uid) : undefined,
          },
        }
      : {}),
    ...(shape.pruneJobs ? { pruneJobs: shape.pruneJobs } : {}),
    warmUp: async () => {
      if (loading || inUse()) await loaded();
    },
    reload: async () => {
      if (loading || inUse()) await (await loaded()).reload?.();
    },
    applications: async () => (await loaded()).applications?.(),
    refreshKeys: async () => (await started())?.refreshKeys?.(),
    // Stopping waits for a load under way (its watches must stop too), and loads nothing new.
    stop: async () => {
      const door = await loading?.catch(() => undefined);
      await door?.stop?.();
    },
  };
}

/** Runs routers one after the other, as express runs those mounted in a row. */
function runRouters(routers: Router[], req: Request, res: Response, next: NextFunction): void {
  const [first, ...rest] = routers;
  if (!first) {
    next();
    return;
  }
  first(req, res, (error?: unknown) => {
    if (error !== undefined && error !== 'route' && error !== 'router') next(error);
    else runRouters(rest, req, res, next);
  });
}
