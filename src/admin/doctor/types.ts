/**
 * One line of the doctor's report. `detail` says what was found and how it was verified, `fix` what to
 * do when it failed. Neither ever holds a secret, a key or a token: only names, counts and states.
 */
export interface DoctorCheck {
  check: string;
  ok: boolean;
  /** The check could not run against this deployment (neither passed nor failed); counts as ok. */
  skipped?: boolean;
  detail: string;
  fix: string | null;
}

export function pass(check: string, detail: string): DoctorCheck {
  return { check, ok: true, detail, fix: null };
}

export function fail(check: string, detail: string, fix: string): DoctorCheck {
  return { check, ok: false, detail, fix };
}

export function skip(check: string, detail: string): DoctorCheck {
  return { check, ok: true, skipped: true, detail, fix: null };
}
