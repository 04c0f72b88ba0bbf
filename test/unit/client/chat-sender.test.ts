import { describe, expect, it } from 'vitest';
import { ChatSender } from '../../../src/client/chat.js';
import type { FetchLike } from '../../../src/client/discovery.js';
import type { Link, Ready } from '../../../src/client/link.js';
import type { TransportKind } from '../../../src/client/types.js';

/** A link whose acks the test scripts: each request takes the next answer ('timeout' rejects like a lost ack). */
function scriptedLink(kind: TransportKind, answers: unknown[]): Link & { sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    kind, sent,
    open: (): Promise<Ready> => Promise.resolve({ head: 0, resumed: undefined }),
    activate: () => {},
    close: () => {},
    request: (_event, payload) => {
      sent.push(payload);
      const answer = answers.shift();
      return answer === 'timeout' ? Promise.reject(new Error('ack timeout')) : Promise.resolve(answer);
    },
  };
}

const noFetch: FetchLike = () => Promise.reject(new Error('no REST expected'));
const sender = (link: () => Link | undefined, fetch: FetchLike = noFetch, resumed = true): ChatSender =>
  new ChatSender({ url: 'http://h', sessionId: 's1', ackTimeoutMs: 10, outboxLimit: 10, fetch, link, resumed: () => resumed });

describe('chat sender', () => {
  it('retries a lost ack with the same id until acknowledged', async () => {
    const link = scriptedLink('socketio', ['timeout', 'timeout', { ok: true, id: 'm1', duplicate: true }]);
    const chat = sender(() => link);
    await expect(chat.send('hi', { id: 'm1' })).resolves.toEqual({ id: 'm1', duplicate: true, transport: 'socketio' });
    expect(link.sent).toEqual([1, 2, 3].map(() => ({ session_id: 's1', message: 'hi', id: 'm1' })));
  });

  it('waits while offline and sends in order once a link is up', async () => {
    const online: { link?: Link } = {};
    const chat = sender(() => online.link);
    const first = chat.send('a', { id: 'a' });
    const second = chat.send('b', { id: 'b' });
    expect(chat.queued).toBe(2);
    const link = scriptedLink('socketio', [{ ok: true, id: 'a' }, { ok: true, id: 'b' }]);
    online.link = link;
    await chat.drain();
    await expect(Promise.all([first, second])).resolves.toMatchObject([{ id: 'a' }, { id: 'b' }]);
    expect(link.sent).toMatchObject([{ id: 'a' }, { id: 'b' }]);
  });

  it('fails a message the server refuses for good', async () => {
    const link = scriptedLink('socketio', [{ ok: false, error: { code: 'INVALID_PAYLOAD', message: 'too long' } }]);
    await expect(sender(() => link).send('x')).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  });

  it('an echo settles a send whose ack was lost', async () => {
    const link = scriptedLink('socketio', ['timeout']);
    let linkUp: Link | undefined = link;
    const chat = sender(() => linkUp);
    const sent = chat.send('x', { id: 'e1' });
    await Promise.resolve();
    linkUp = undefined; // the connection dropped with the ack
    chat.observe({ session_id: 's1', message: { id: 'e1' } }, 'legacy');
    await expect(sent).resolves.toEqual({ id: 'e1', duplicate: false, transport: 'legacy' });
  });

  it('on legacy: REST once; a network failure is DELIVERY_UNKNOWN, not a retry', async () => {
    const bodies: unknown[] = [];
    let fail = false;
    const fetch: FetchLike = async (_input, init) => {
      bodies.push(JSON.parse(init?.body ?? 'null'));
      if (fail) throw new Error('ECONNRESET');
      return { ok: true, status: 200, json: async () => ({ success: true }) };
    };
    const chat = sender(() => scriptedLink('legacy', []), fetch);
    await expect(chat.send('hi', { id: 'r1', context: { a: 1 } })).resolves.toEqual({ id: 'r1', duplicate: false, transport: 'legacy' });
    fail = true;
    await expect(chat.send('again', { id: 'r2' })).rejects.toMatchObject({ code: 'DELIVERY_UNKNOWN' });
    expect(bodies).toEqual([{ message: 'hi', context: { a: 1 }, id: 'r1' }, { message: 'again', id: 'r2' }]);
  });

  it('does not re-send over REST what went out on Socket.IO unanswered, unless the legacy join resumed', async () => {
    const socketIo = scriptedLink('socketio', ['timeout']);
    const legacy = scriptedLink('legacy', []);
    let current: Link = socketIo;
    const chat = sender(() => current, noFetch, false);
    const sent = chat.send('x', { id: 'u1' });
    await Promise.resolve();
    current = legacy;
    void chat.drain();
    await expect(sent).rejects.toMatchObject({ code: 'DELIVERY_UNKNOWN' });
  });
});
