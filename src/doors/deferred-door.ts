import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { RateLimitedRoutes } from '../config/rate-limit-schema.js';
import type { Logger } from '../observability/logger.js';
import type { Door, PruneJob } from './door.js';

/** What the server must know of a deferred door before its modules are loaded. */
export interface DeferredDoorShape {
  /** Path prefixes its routers answer (e.g. `/saml/`): other requests never wait for it. */
  pathPrefixes: string[];
  rateLimited?: RateLimitedRoutes[];
  /** Names and retention of its prune jobs (they load the door when they first run). */
  pruneJobs?: Array<Omit<PruneJob, 'prune'>>;
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
 * needed, so that the server is ready sooner: by the server's warm-up right after ready, or by
 * the first request to one of its paths, whichever comes first. A load that fails is logged and
 * tried again by the next use.
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
  const loadedJob = async (name: string) => {
    const job = (await loaded()).pruneJobs?.find((candidate) => candidate.name === name);
    if (!job) throw new Error(`the loaded door has no prune job named ${name}`);
    return job;
  };
  return {
    loaded,
    routers: [router],
    ...(shape.rateLimited ? { rateLimited: shape.rateLimited } : {}),
    ...(shape.loginFlows
      ? { loginFlows: { load: async (req, res, uid) => (await loaded()).loginFlows?.load(req, res, uid) } }
      : {}),
    pruneJobs: (shape.pruneJobs ?? []).map(({ name, retentionMs }) => ({
      name,
      retentionMs,
      prune: async (olderThan: number) => (await loadedJob(name)).prune(olderThan),
    })),
    warmUp: async () => {
      await loaded();
    },
    reload: async () => (await loaded()).reload?.(),
    applications: async () => (await loaded()).applications?.(),
    refreshKeys: async () => (await loaded()).refreshKeys?.(),
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
