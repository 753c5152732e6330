import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';

/**
 * A loopback "network" in front of the simulator's `wrangler dev`: a plain HTTP proxy that passes every
 * request and answer through unchanged — status, headers (Retry-After included), streamed bodies both
 * ways — except an answer marked `x-sim-drop-connection`, for which it closes the client's socket
 * before writing a single byte. Inside workerd the simulator cannot cut a connection before the status
 * line (`workers/checkout-sim/lib/drop.ts`); here every client (Bollard's fetch, curl, the Node SDK)
 * sees a real cut connection and never an HTTP status.
 *
 * Also cut: a request the upstream cannot take (not listening yet, reset) — a network has no status to
 * give. It logs nothing per request: no bodies, no Authorization headers.
 */
export interface SimNetworkOptions {
  /** Where clients connect (loopback). */
  port: number;
  /** The simulator's `wrangler dev` port (loopback). */
  upstreamPort: number;
  host?: string;
}

export interface SimNetwork {
  url: string;
  close(): Promise<void>;
}

const DROP_HEADER = 'x-sim-drop-connection';

/** RFC 9110 §7.6.1: connection-specific fields, never forwarded by an intermediary. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Node answers `100-continue` itself before the request event; the upstream must not wait for it again.
  'expect',
]);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== ''),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) out[name] = value;
  }
  return out;
}

function forward(
  agent: Agent,
  host: string,
  upstreamPort: number,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const cut = () => req.socket.destroy();
  // The Host header passes unchanged: the simulator builds its `_links` from the URL the client used.
  const upstream = httpRequest({
    host,
    port: upstreamPort,
    method: req.method,
    path: req.url,
    headers: endToEnd(req.headers),
    agent,
  });
  upstream.on('error', cut);
  upstream.on('response', (answer) => {
    if (answer.headers[DROP_HEADER] !== undefined) {
      answer.destroy();
      cut();
      return;
    }
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
    answer.pipe(res);
    // An answer cut short upstream is cut short here too, never completed as if it were whole.
    answer.on('error', cut);
    answer.on('close', () => {
      if (!answer.complete) cut();
    });
  });
  // A client that gives up closes the upstream request too, as a network would.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** Starts the proxy on `host:port`; resolves once it listens. */
export async function startSimNetwork(options: SimNetworkOptions): Promise<SimNetwork> {
  const host = options.host ?? '127.0.0.1';
  // Keep-alive to the upstream keeps the proxy's cost to one extra loopback hop. Idle sockets are closed
  // after 2 s, before the dev server closes them (it does after ~5 s idle): reusing one it has just closed
  // would fail a request the network never meant to drop.
  const agent = new Agent({ keepAlive: true, timeout: 2_000 });
  const server = createServer((req, res) => forward(agent, host, options.upstreamPort, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `http://${host}:${options.port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
