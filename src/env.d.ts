/**
 * The optional settings and bindings of the Bollard Worker, declared once on `Env` so that code reads
 * `env.X` (string | undefined) instead of casting. Everything wrangler.toml declares is typed by the
 * generated worker-configuration.d.ts (`npm run cf-typegen`, never edited by hand); what is here is absent
 * from wrangler.toml on purpose — a deployment sets it (`[vars]`, `--var` or `wrangler secret put`) only
 * when it wants the feature, and the code gives each one a default when it is missing. A name that
 * wrangler.toml declares must not be repeated here (TypeScript refuses two declarations whose modifiers
 * differ). Unless noted, each is documented in docs/operations.md, "Configuration".
 *
 * This file merges into the generated `Cloudflare.Env` (the global `Env` extends it, and the `env` of
 * `cloudflare:workers` and `cloudflare:test` is typed by it), so it must stay a script: no import, no export.
 */
declare namespace Cloudflare {
  interface Env {
    // ---- OAuth (src/oauth/from-env.ts; docs/rate-governor.md too) --------------------------------------
    /** Explicit scopes (space or comma separated), overriding the catalog-derived least set. */
    CHECKOUT_OAUTH_SCOPES?: string;
    /** Explicit token endpoint, overriding the one derived from `CHECKOUT_API_BASE`. */
    CHECKOUT_OAUTH_TOKEN_URL?: string;

    // ---- Storefront (docs/operations.md, "Storefront") -------------------------------------------------
    /** Secret: the merchant backend's public key for signed orders, instead of the shared `ORDER_TOKEN_KEY`. */
    ORDER_TOKEN_PUBLIC_KEY?: string;

    // ---- Webhooks (docs/webhooks.md too) ---------------------------------------------------------------
    /** Secret: when set, every delivery must also carry `Authorization: <this value>`. */
    WEBHOOK_AUTH_HEADER_VALUE?: string;
    /** The merchant's HTTPS endpoint every verified event is forwarded to (absent: no forwarding). */
    WEBHOOK_FORWARD_URL?: string;
    /** Secret: `whsec_<base64>` (Standard Webhooks format), the key of the forwarded `webhook-signature`. */
    WEBHOOK_FORWARD_SECRET?: string;
    /** Inbox shards, 1–4096 (default 32). Fixed for a deployment's life: changing it re-maps subjects. */
    WEBHOOK_INBOX_SHARDS?: string;

    // ---- Agents (docs/agents.md too) -------------------------------------------------------------------
    /** Days an agent's audit chain keeps an entry (default 400). */
    AUDIT_RETENTION_DAYS?: string;
    /** Days the `anonymous` chain keeps an entry (default 90). */
    AUDIT_ANONYMOUS_RETENTION_DAYS?: string;
    /** Days the global audit index keeps its copy (default and maximum: the chain's own window). */
    AUDIT_INDEX_RETENTION_DAYS?: string;
    /** `401`s a source may get a minute on the agent surfaces before `429` (default 30; `0`: no limit). */
    AGENT_BAD_KEY_LIMIT_PER_MINUTE?: string;

    // ---- Receipts and the audit archive (docs/agents.md, "Receipts") -----------------------------------
    /**
     * Secret: the private JWK (Ed25519 or P-256) receipts and archive heads are signed with. Absent: a key
     * generated and kept in KV where Bollard's public URL is on loopback (development), none elsewhere.
     */
    RECEIPT_SIGNING_KEY?: string;

    // ---- Operator console (docs/console.md too) --------------------------------------------------------
    /** Wrong admin tokens a minute from one source before 429 (default 10; `0` turns the limit off). */
    ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE?: string;

    // ---- Approvals (docs/agents.md, "Approvals") ----------------------------------------------------------
    /** Development only: `true` lets the admin bearer token approve as approver `dev` (the doctor fails it elsewhere). */
    APPROVALS_ALLOW_ADMIN_TOKEN?: string;
    /**
     * Break-glass, `true`: approvers may be added and removed without an existing approver's passkey (for
     * when every approver's passkey is lost). Set it for the repair, then remove it (docs/operations.md).
     */
    APPROVERS_OPEN_ENROLLMENT?: string;
    /** Where each new approval is POSTed (`approval.requested`, signed), e.g. a chat or paging hook. */
    APPROVAL_NOTIFY_URL?: string;
    /** Secret: the HMAC-SHA256 key of that POST's `Bollard-Signature` (required with the URL). */
    APPROVAL_NOTIFY_SECRET?: string;
    /** Secret: mixed into the console's session and CSRF keys; rotating it ends every session. */
    CONSOLE_SESSION_KEY?: string;
    /** Cloudflare Access: the team domain (`myteam` or `myteam.cloudflareaccess.com`). */
    ACCESS_TEAM_DOMAIN?: string;
    /** Cloudflare Access: the application's audience tag(s), comma-separated. */
    ACCESS_AUD?: string;

    // ---- Metrics (docs/operations.md, "Metrics") -------------------------------------------------------
    /** The account the Analytics Engine dataset is in, for the SQL API. */
    CLOUDFLARE_ACCOUNT_ID?: string;
    /** Secret: an API token with Account Analytics: Read, for the SQL API. */
    CF_API_TOKEN?: string;

    // ---- Measurement and tests -------------------------------------------------------------------------
    /** `on`: answers carry their Durable Object round trips (src/http/do-meter.ts; docs/benchmarks.md). */
    DO_METER?: string;
    /**
     * The simulator as a service binding, where Bollard runs beside it in one workerd (vitest.config.ts,
     * bench/governor.bench.ts); absent in every deployment, which reaches `CHECKOUT_API_BASE` by `fetch`.
     */
    CHECKOUT_SIM?: Fetcher;
    /** A recording sink for the approval notifications, where the tests bind one; absent in every deployment. */
    APPROVAL_NOTIFY_SINK?: Fetcher;
  }
}
