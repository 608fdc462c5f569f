import { LOGIN_DOORS } from '../../../policy/authentication/conditions/membership.js';
import { SimulationErrors } from '../../../policy/authentication/errors.js';
import {
  type Simulation,
  type SimulatorDeps,
  simulateLogin,
  stepUpFor,
} from '../../../policy/authentication/simulate.js';

/** The simulator's form as entered (the options of `passgate policy test`). */
export interface SimulationForm {
  user: string;
  ip: string;
  app: string;
  door: string;
  /** ISO 8601; UTC when it names no offset; now when empty. */
  at: string;
  device: string;
  acr: string;
  stepUp: boolean;
}

/** The doors the simulator offers. */
export const SIMULATED_DOORS: readonly string[] = LOGIN_DOORS;

/** What the simulator answered: the simulation, or the problems of the form by field. */
export type SimulationAnswer =
  | { simulation: Simulation }
  | { errors: Partial<Record<keyof SimulationForm, string>> };

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** The simulator's form from the page's query; undefined when it was not submitted. */
export function readSimulationForm(query: Record<string, unknown>): SimulationForm | undefined {
  if (query.simulate === undefined) return undefined;
  return {
    user: text(query.user),
    ip: text(query.ip),
    app: text(query.app),
    door: text(query.door) || 'oidc',
    at: text(query.at),
    device: text(query.device),
    acr: text(query.acr),
    stepUp: query.stepUp === 'on' || query.stepUp === 'true',
  };
}

/** `2026-11-25T10:00` is read as UTC: the administrator's browser zone is not known here. */
function timeOf(at: string): number {
  return Date.parse(/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(at) ? `${at}Z` : at);
}

/**
 * Runs the simulation `passgate policy test` runs (simulateLogin over the same read-only parts),
 * after the same checks of its inputs; each problem is given at its field.
 */
export async function simulate(deps: SimulatorDeps, form: SimulationForm): Promise<SimulationAnswer> {
  const errors: Partial<Record<keyof SimulationForm, string>> = {};
  if (form.user === '') errors.user = 'required';
  if (form.ip === '') errors.ip = 'required';
  if (!SIMULATED_DOORS.includes(form.door)) errors.door = `one of ${SIMULATED_DOORS.join(', ')}`;
  const at = form.at === '' ? undefined : timeOf(form.at);
  if (at !== undefined && !Number.isFinite(at))
    errors.at = `"${form.at}" is not a time (ISO 8601, e.g. 2026-11-25T10:00:00Z)`;
  let stepUp: string | undefined;
  try {
    stepUp = stepUpFor(form.acr === '' ? undefined : form.acr, form.stepUp);
  } catch (error) {
    if (!SimulationErrors.is(error)) throw error;
    errors.acr = error.message;
  }
  if (Object.keys(errors).length > 0) return { errors };
  try {
    const simulation = await simulateLogin(deps, {
      username: form.user,
      address: form.ip,
      door: form.door,
      ...(form.app ? { application: form.app } : {}),
      ...(at !== undefined ? { at } : {}),
      ...(form.device ? { device: form.device } : {}),
      ...(stepUp ? { stepUp } : {}),
    });
    return { simulation };
  } catch (error) {
    if (SimulationErrors.is(error, 'SIMULATION_UNKNOWN_USER')) return { errors: { user: error.message } };
    if (SimulationErrors.is(error, 'SIMULATION_INVALID_INPUT')) return { errors: { ip: error.message } };
    throw error;
  }
}
