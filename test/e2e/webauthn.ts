import type { CDPSession, Page } from 'playwright-core';

/** A credential as the DevTools protocol's `WebAuthn.getCredentials` gives it (binary fields base64). */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

/**
 * Passkeys in headless Chromium, through the DevTools protocol's `WebAuthn` domain: each person has a
 * virtual authenticator (CTAP2, internal transport, resident keys, user verification), and exactly one is
 * plugged in at a time — with two present, Chromium dispatches a ceremony to both and the first to answer
 * wins, so which passkey signs would be a race. Switching people keeps each one's credentials (with their
 * signature counters) and puts them back into a fresh authenticator.
 *
 * `routeBy` switches on the page's own requests: the person whose approver id a `…/challenge` request
 * names, or the next registrant on `…/registration-options`, so a console flow that asks two people in a
 * row (a new approver, then the one who consents) uses the right passkey for each, deterministically.
 */
export interface Person {
  name: string;
  /** false: the authenticator has user verification but fails it (a touch, no PIN or biometric). */
  userVerified: boolean;
  credentials: VirtualCredential[];
  approverId?: string;
}

export class VirtualPasskeys {
  #cdp: CDPSession;
  #current: { person: Person; authenticatorId: string } | null = null;
  /** Who registers next (the `registration-options` request switches to them). */
  nextRegistrant: Person | null = null;
  /** Who answers every challenge, whoever it names (a test's stand-in, e.g. an approver's passkey moved to a device that cannot verify). */
  answering: Person | null = null;
  readonly people: Person[] = [];

  private constructor(cdp: CDPSession) {
    this.#cdp = cdp;
  }

  static async attach(page: Page): Promise<VirtualPasskeys> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    return new VirtualPasskeys(cdp);
  }

  person(name: string, options: { userVerified?: boolean } = {}): Person {
    const p: Person = { name, userVerified: options.userVerified ?? true, credentials: [] };
    this.people.push(p);
    return p;
  }

  /** Plugs in `person`'s authenticator (unplugging the current one, keeping its credentials). */
  async use(person: Person): Promise<void> {
    if (this.#current?.person === person) return;
    await this.#unplug();
    const { authenticatorId } = await this.#cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: person.userVerified,
        automaticPresenceSimulation: true,
      },
    });
    for (const credential of person.credentials)
      await this.#cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
    this.#current = { person, authenticatorId };
  }

  /** The credentials `person` holds now (read from their authenticator when it is plugged in). */
  async credentialsOf(person: Person): Promise<VirtualCredential[]> {
    if (this.#current?.person === person) {
      const { credentials } = await this.#cdp.send('WebAuthn.getCredentials', {
        authenticatorId: this.#current.authenticatorId,
      });
      person.credentials = credentials;
    }
    return person.credentials;
  }

  async #unplug(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    await this.credentialsOf(current.person);
    await this.#cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: current.authenticatorId });
    this.#current = null;
  }

  /** Switches authenticators on the console's own requests (see the class comment). */
  async routeBy(page: Page): Promise<void> {
    await page.route('**/admin/approvers/registration-options', async (route) => {
      if (this.nextRegistrant) await this.use(this.nextRegistrant);
      await route.continue();
    });
    await page.route('**/admin/{approvers,approvals}/*/challenge', async (route) => {
      const body = route.request().postDataJSON() as { approver_id?: string } | null;
      const who =
        this.answering ??
        this.people.find((p) => p.approverId !== undefined && p.approverId === body?.approver_id);
      if (who) await this.use(who);
      await route.continue();
    });
  }
}
