/**
 * The start-up bench's baseline: a plain Socket.IO server (default options) on
 * an http server, with the bench's `/crawl` namespace and `join_crawl` + ack,
 * which is what Switchyard's Socket.IO side replaces. Prints one
 * "listening on <port>" line. Plain JS (see rss-probe.mjs).
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http);
io.of('/crawl').on('connection', (socket) => {
  socket.on('join_crawl', (data, ack) => {
    void socket.join(`crawl_${String(data?.progress_id)}`);
    if (typeof ack === 'function') ack({ ok: true });
  });
});
http.listen(0, '127.0.0.1', () => console.log(`listening on ${http.address().port}`));
process.once('SIGTERM', () => {
  io.close();
  process.exit(0);
});
