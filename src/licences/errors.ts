import { defineErrors, type PassgateError } from '../errors.js';

/** Errors of seat allocation and of the licence that bounds it. */
export const LicenceErrors = defineErrors({
  SEATS_FULL: {
    status: 409,
    publicMessage: 'There are not enough free seats in this pool: nothing was allocated.',
  },
  SEAT_UNKNOWN_USER: { status: 404, publicMessage: 'No such user: nothing was allocated.' },
  LICENCE_EXPIRED: {
    status: 403,
    publicMessage: 'The licence has expired: seats already given stay, new ones cannot be allocated.',
  },
});

/** A refusal for lack of seats, with how many are missing (what an administrator needs to act). */
export type SeatsFullError = PassgateError & { readonly missing: number };

/** Raises SEATS_FULL carrying the number of seats missing. */
export function seatsFull(pool: string, missing: number, capacity: number, used: number): SeatsFullError {
  const detail = `${pool} pool: ${missing} seat(s) missing (capacity ${capacity}, ${used} used)`;
  return Object.assign(LicenceErrors.SEATS_FULL({ detail }), { missing });
}

/** How many seats a SEATS_FULL refusal lacked; undefined for any other error. */
export function missingSeats(error: unknown): number | undefined {
  return LicenceErrors.is(error, 'SEATS_FULL') ? (error as SeatsFullError).missing : undefined;
}
