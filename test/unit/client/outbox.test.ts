import { describe, expect, it } from 'vitest';
import { SwitchyardClientError } from '../../../src/client/codes.js';
import { Outbox } from '../../../src/client/outbox.js';

describe('outbox', () => {
  it('keeps order, settles by id and counts attempts', async () => {
    const outbox = new Outbox<string, number>(3);
    const a = outbox.enqueue('a', 'first');
    const b = outbox.enqueue('b', 'second');
    expect(outbox.peek()).toEqual({ id: 'a', payload: 'first', attempts: 0 });
    outbox.peek()!.attempts++;
    outbox.settle('a', 1);
    expect(outbox.peek()?.id).toBe('b');
    outbox.settle('b', 2);
    outbox.settle('b', 3); // settled already: ignored
    await expect(Promise.all([a, b])).resolves.toEqual([1, 2]);
    expect(outbox.size).toBe(0);
  });

  it('is bounded', async () => {
    const outbox = new Outbox<string, number>(1);
    void outbox.enqueue('a', 'x');
    await expect(outbox.enqueue('b', 'y')).rejects.toMatchObject({ code: 'OUTBOX_FULL' });
    expect(outbox.size).toBe(1);
  });

  it('refuses a second entry with a queued id', async () => {
    const outbox = new Outbox<string, number>(5);
    void outbox.enqueue('a', 'x');
    await expect(outbox.enqueue('a', 'y')).rejects.toThrow(RangeError);
  });

  it('fails one or all', async () => {
    const outbox = new Outbox<string, number>(5);
    const a = outbox.enqueue('a', 'x');
    const b = outbox.enqueue('b', 'y');
    const c = outbox.enqueue('c', 'z');
    outbox.fail('b', new SwitchyardClientError('INVALID_PAYLOAD', 'bad'));
    outbox.failAll(new SwitchyardClientError('CLIENT_CLOSED', 'closed'));
    await expect(a).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await expect(b).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    await expect(c).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(outbox.size).toBe(0);
  });

  it('needs a limit of at least one', () => {
    expect(() => new Outbox(0)).toThrow(RangeError);
  });
});
