import type { ServerResponse } from 'node:http';
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
  const viewers = new Set<ServerResponse>();

  router.get('/api/admin/console/stream', async (ctx) => {
    if (viewers.size >= maxViewers) throw new SwitchyardError('TOO_MANY_CONNECTIONS', `the console has ${maxViewers} viewers already`);
    const state = ctx.state as AdminState;
    // The response is written here, not by Koa: a viewer that goes away is the normal end of this answer, not an
    // error for the log, and what it has not read is counted where it piles up (the response's own buffer).
    const res = ctx.res;
    viewers.add(res);
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      unsubscribe();
      viewers.delete(res);
    };
    const send = (event: string, data: unknown): void => {
      if (left) return;
      // Past the bound a viewer is cut (its page reconnects and starts afresh), not buffered for.
      if (res.writableLength > maxBuffered) {
        leave();
        res.destroy();
        return;
      }
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const unsubscribe = feed.subscribe((snapshot) => send('snapshot', snapshot));
    res.once('close', leave);

    ctx.req.socket.setTimeout(0);
    ctx.respond = false;
    ctx.status = 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Accel-Buffering', 'no');
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
    send('hello', { actor: state.adminActor ?? null, history: feed.history(), audit: feed.audit() });
    send('snapshot', feed.latest ?? await feed.sample());
  });
}
