import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import { SwitchyardError } from '../errors/catalogue.js';
import type { AdminState } from './admin-auth.js';
import type { ConsoleFeed } from './console-feed.js';

export interface ConsoleStreamOptions {
  feed: ConsoleFeed;
  /** Viewers at once; more are refused with 429 TOO_MANY_CONNECTIONS. Default 16. */
  maxViewers?: number;
  /** Bytes a viewer may leave unread before it is dropped (it reconnects and starts afresh). Default 1 MiB. */
  maxBufferedBytes?: number;
}

/**
 * `GET /api/admin/console/stream`: the console's live feed as Server-Sent
 * Events, behind the admin gate like every `/api/admin` path (the page reads
 * it with `fetch()`, which can send the bearer token; EventSource cannot).
 * Events: `hello` (who is logged in, the chart history, the audit trail),
 * then `snapshot` once a second, from the one shared sampler.
 */
export function consoleStreamRoute(router: Router, options: ConsoleStreamOptions): void {
  const { feed } = options;
  const maxViewers = options.maxViewers ?? 16;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const viewers = new Set<PassThrough>();

  router.get('/api/admin/console/stream', async (ctx) => {
    if (viewers.size >= maxViewers) throw new SwitchyardError('TOO_MANY_CONNECTIONS', `the console has ${maxViewers} viewers already`);
    const state = ctx.state as AdminState;
    const stream = new PassThrough();
    viewers.add(stream);
    const send = (event: string, data: unknown): void => {
      // A viewer that does not read is dropped rather than buffered without bound.
      if (stream.readableLength + ctx.res.writableLength > maxBuffered) {
        stream.end();
        return;
      }
      stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const unsubscribe = feed.subscribe((snapshot) => send('snapshot', snapshot));
    const leave = (): void => {
      unsubscribe();
      viewers.delete(stream);
      stream.end();
    };
    ctx.req.once('close', leave);
    stream.once('close', leave);

    ctx.req.socket.setTimeout(0);
    ctx.status = 200;
    ctx.type = 'text/event-stream';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Accel-Buffering', 'no');
    ctx.body = stream;
    send('hello', { actor: state.adminActor ?? null, history: feed.history(), audit: feed.audit() });
    send('snapshot', feed.latest ?? await feed.sample());
  });
}
