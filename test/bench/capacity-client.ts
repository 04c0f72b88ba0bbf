/**
 * Capacity bench child: holds idle connections to the server under test.
 * Legacy: raw `ws` sockets on `/api/crawl-progress/cap-<n>` (one crawl room
 * each) sending `{"type":"ping"}` every 30 s as the legacy UI does; Socket.IO:
 * `socket.io-client` sockets (websocket transport) on `/crawl`, answering
 * engine.io's pings. Each connection binds a loopback source address in turn
 * (`localAddress`), so 20,000 connections do not exhaust one address's
 * ephemeral ports.
 */
import { io as ioClient, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { serve } from './ipc.js';
import type { CapacityClientApi, CapacityOpenResult } from './capacity-protocol.js';

const LEGACY_PING_MS = 30_000;
const legacy = new Set<WebSocket>();
const sio = new Set<Socket>();
const timers = new Set<NodeJS.Timeout>();
let dropped = 0;
let closing = false;
let legacyPingsSent = 0;
let socketIoPongs = 0;

function openLegacy(url: string, localAddress: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('legacy: no open within the timeout'));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      legacy.add(ws);
      // The legacy UI's keepalive, each socket on its own phase.
      const first = setTimeout(() => {
        timers.delete(first);
        const every = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) {
            ws.send('{"type":"ping"}');
            legacyPingsSent++;
          }
        }, LEGACY_PING_MS);
        timers.add(every);
        ws.once('close', () => {
          clearInterval(every);
          timers.delete(every);
        });
      }, Math.random() * LEGACY_PING_MS);
      timers.add(first);
      ws.once('close', () => {
        clearTimeout(first);
        timers.delete(first);
        legacy.delete(ws);
        if (!closing) dropped++;
      });
      resolve();
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // Frames (connection notices, heartbeats) are read and dropped: idle clients.
    ws.on('message', () => undefined);
  });
}

function openSocketIo(url: string, localAddress: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // localAddress is passed through engine.io-client to the ws transport; its options type does not list it.
    const options = { transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs, localAddress } as Parameters<typeof ioClient>[1];
    const socket = ioClient(url, options);
    socket.once('connect', () => {
      sio.add(socket);
      socket.io.engine.on('ping', () => {
        socketIoPongs++;
      });
      socket.once('disconnect', () => {
        sio.delete(socket);
        if (!closing) dropped++;
      });
      resolve();
    });
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

serve<CapacityClientApi>({
  async open({ port, legacy: legacyCount, socketIo, addresses, inFlight, timeoutMs, label }): Promise<CapacityOpenResult> {
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    const total = legacyCount + socketIo;
    let next = 0;
    let opened = 0;
    let failed = 0;
    const errors: string[] = [];
    // Interleave the two kinds so both ramp up together; bounded by count and by the deadline.
    const worker = async (): Promise<void> => {
      while (next < total && Date.now() < deadline) {
        const i = next++;
        const localAddress = addresses[i % addresses.length]!;
        const isLegacy = i % 2 === 0 ? i / 2 < legacyCount : Math.floor(i / 2) >= socketIo;
        const left = Math.max(1000, Math.min(15_000, deadline - Date.now()));
        try {
          if (isLegacy) await openLegacy(`ws://127.0.0.1:${port}/api/crawl-progress/cap-${label}-${i}`, localAddress, left);
          else await openSocketIo(`http://127.0.0.1:${port}/crawl`, localAddress, left);
          opened++;
        } catch (error) {
          failed++;
          if (errors.length < 5) errors.push(error instanceof Error ? error.message : String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, () => worker()));
    return { opened, failed, errors, ms: performance.now() - started };
  },

  status() {
    return { open: legacy.size + sio.size, dropped, legacyPingsSent, socketIoPongs };
  },

  async closeAll() {
    closing = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const ws of legacy) ws.terminate();
    for (const s of sio) s.close();
    legacy.clear();
    sio.clear();
    return undefined;
  },

  stop() {
    setImmediate(() => process.exit(0));
    return undefined;
  },
});
