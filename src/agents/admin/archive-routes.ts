import { type Context, Hono } from 'hono';
import * as z from 'zod';
import { type AppEnv, BollardError } from '../../http';
import { withTimeout } from '../../http/timeout';
import { paging } from '../model/query-params';
import { auditIndex } from '../objects/stubs';
import type { ArchiveSummary, ChainArchiveState } from '../proof/archive-ledger';
import { DEFAULT_RANGE_ENTRIES, DEFAULT_RUN_ENTRIES, runArchive } from '../proof/archive-writer';

/** A key the archive holds: under one of its three prefixes, no `..`, no leading slash. */
const OBJECT_KEY = /^(chains|heads|keys)\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const PREFIX = /^((chains|heads|keys)\/[A-Za-z0-9_./-]*)?$/;

const RunInput = z
  .object({
    max_entries: z.number().int().min(1).max(DEFAULT_RUN_ENTRIES).optional(),
    range_entries: z.number().int().min(1).max(DEFAULT_RANGE_ENTRIES).optional(),
  })
  .strict();

function bucketOf(c: Context<AppEnv>): R2Bucket {
  const bucket = (c.env as Partial<Pick<Env, 'AUDIT_ARCHIVE'>>).AUDIT_ARCHIVE;
  if (!bucket)
    throw new BollardError('internal_error', {
      status: 503,
      codes: ['archive_not_bound'],
      message: 'the R2 bucket AUDIT_ARCHIVE is not bound (docs/operations.md, "Audit archive")',
    });
  return bucket;
}

async function runInput(c: Context<AppEnv>): Promise<z.infer<typeof RunInput>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BollardError('request_malformed', {
      codes: ['body_invalid'],
      message: 'the body must be JSON',
    });
  }
  const parsed = RunInput.safeParse(json);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'body');
    throw new BollardError('request_invalid', {
      codes: [`${field}_invalid`],
      message: `${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    });
  }
  return parsed.data;
}

/**
 * The audit archive's operator routes (admin token), in the operator module:
 * - `POST /admin/audit/archive` runs an archive pass now (as the Cron Trigger does) and answers its report;
 * - `GET /admin/audit/archive` each chain's last archived head and lag, most behind first;
 * - `GET /admin/audit/archive/objects?prefix=` lists the archive's objects (to hand a range to an auditor);
 * - `GET /admin/audit/archive/object?key=` one object, byte for byte as stored.
 */
export function archiveAdminRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/admin/audit/archive', async (c) => {
    const input = await runInput(c);
    const report = await runArchive(c.env, {
      trigger: 'admin',
      ...(input.max_entries !== undefined ? { maxEntries: input.max_entries } : {}),
      ...(input.range_entries !== undefined ? { rangeEntries: input.range_entries } : {}),
    });
    if (report.reason === 'archive_running')
      throw new BollardError('conflict', {
        codes: ['archive_running'],
        message: 'an archive run is in progress; try again when it ends',
      });
    if (!report.ok)
      throw new BollardError('internal_error', {
        status: 503,
        codes: [report.reason ?? 'archive_unavailable'],
        message:
          report.reason === 'receipt_key_missing'
            ? 'no signing key: RECEIPT_SIGNING_KEY is not set, so heads cannot be signed'
            : report.reason === 'archive_not_bound'
              ? 'the R2 bucket AUDIT_ARCHIVE is not bound'
              : 'the audit index did not answer',
      });
    return c.json(report);
  });

  app.get('/admin/audit/archive', async (c) => {
    const { limit, skip } = paging(new URL(c.req.url), 100, 1000);
    const status = await withTimeout<{ summary: ArchiveSummary; chains: ChainArchiveState[] }>(
      auditIndex(c.env).archiveStatus(limit, skip),
      5_000,
      () =>
        new BollardError('internal_error', {
          status: 503,
          codes: ['audit_index_unavailable'],
          message: 'the audit index did not answer in time',
        }),
    );
    return c.json({ bucket_bound: Boolean(c.env.AUDIT_ARCHIVE), limit, skip, ...status });
  });

  app.get('/admin/audit/archive/objects', async (c) => {
    const url = new URL(c.req.url);
    const prefix = url.searchParams.get('prefix') ?? '';
    if (!PREFIX.test(prefix))
      throw new BollardError('request_invalid', {
        codes: ['prefix_invalid'],
        message: 'prefix must start with chains/, heads/ or keys/',
      });
    const { limit } = paging(url, 1000, 1000);
    const cursor = url.searchParams.get('cursor') ?? undefined;
    const page = await bucketOf(c).list({ prefix, limit, ...(cursor ? { cursor } : {}) });
    return c.json({
      objects: page.objects.map((o) => ({ key: o.key, size: o.size, uploaded: o.uploaded.toISOString() })),
      truncated: page.truncated,
      cursor: page.truncated ? page.cursor : null,
    });
  });

  app.get('/admin/audit/archive/object', async (c) => {
    const key = c.req.query('key') ?? '';
    if (!OBJECT_KEY.test(key) || key.includes('..'))
      throw new BollardError('request_invalid', {
        codes: ['key_invalid'],
        message: 'key must name an archive object (chains/…, heads/… or keys/…)',
      });
    const obj = await bucketOf(c).get(key);
    if (obj === null)
      throw new BollardError('not_found', { codes: ['archive_object_not_found'], message: 'no such object' });
    return new Response(obj.body, {
      headers: {
        'content-type': obj.httpMetadata?.contentType ?? 'application/octet-stream',
        'cache-control': 'no-store',
      },
    });
  });

  return app;
}
