import { defineErrors } from '../../errors.js';

/** Errors of the policy simulator. */
export const SimulationErrors = defineErrors({
  SIMULATION_UNKNOWN_USER: { status: 404, publicMessage: 'No such user.' },
  SIMULATION_INVALID_INPUT: { status: 400, publicMessage: 'The login to simulate is not valid.' },
});
