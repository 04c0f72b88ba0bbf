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
    open: (): Promise<Ready> => Promise.resolve({ head: 0, resumed: undefined, epoch: undefined }),
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
const sender = (link: () => Link | undefined, fetch: FetchLike = noFetch): ChatSender =>
  new ChatSender({ url: 'http://h', sessionId: 's1', ackTimeoutMs: 10, outboxLimit: 10, fetch, link });

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

  it('on legacy: REST with the id; a network failure goes again with the same id', async () => {
    const bodies: unknown[] = [];
    let failures = 1;
    const fetch: FetchLike = async (_input, init) => {
      bodies.push(JSON.parse(init?.body ?? 'null'));
      if (failures-- > 0) throw new Error('ECONNRESET');
      return { ok: true, status: 200, json: async () => ({ success: true, id: 'r1', duplicate: true }) };
    };
    const chat = sender(() => scriptedLink('legacy', []), fetch);
    await expect(chat.send('hi', { id: 'r1', context: { a: 1 } })).resolves.toEqual({ id: 'r1', duplicate: true, transport: 'legacy' });
    expect(bodies).toEqual([1, 2].map(() => ({ message: 'hi', context: { a: 1 }, id: 'r1' })));
  });

  it('a send left unanswered on Socket.IO goes over REST with the same id after a switch to legacy', async () => {
    const bodies: unknown[] = [];
    const fetch: FetchLike = async (_input, init) => {
      bodies.push(JSON.parse(init?.body ?? 'null'));
      return { ok: true, status: 200, json: async () => ({ success: true, id: 'u1', duplicate: false }) };
    };
    const socketIo = scriptedLink('socketio', ['timeout']);
    let current: Link = socketIo;
    const chat = sender(() => current, fetch);
    const sent = chat.send('x', { id: 'u1' });
    await Promise.resolve();
    current = scriptedLink('legacy', []);
    await expect(sent).resolves.toEqual({ id: 'u1', duplicate: false, transport: 'legacy' });
    expect(bodies).toEqual([{ message: 'x', id: 'u1' }]);
  });

  it('a REST refusal for good fails the send', async () => {
    const fetch: FetchLike = async () => ({ ok: false, status: 404, json: async () => ({ error: { code: 'NOT_FOUND', message: 'unknown chat session s1' } }) });
    await expect(sender(() => scriptedLink('legacy', []), fetch).send('x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
