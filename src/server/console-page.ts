import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import { CONSOLE_SCRIPT } from './console-script.js';

/**
 * `GET /console`: the operator console. One static page; what it shows comes
 * pushed from `GET /api/admin/console/stream` (console-stream.ts), and what it
 * changes goes through the admin API, both with the token the operator types
 * (kept in sessionStorage, never sent anywhere else, never in a URL).
 */
export function consoleRoutes(router: Router): void {
  router.get('/console', (ctx) => {
    ctx.type = 'html';
    const { page, csp } = (built ??= build());
    ctx.set('Content-Security-Policy', csp);
    // For browsers that predate frame-ancestors: the console must never be framed (clickjacking a stage switch).
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = page;
  });
}

const STYLE = `
 body{font:13px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
 header p{margin:.3rem 0}
 table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
 .legacy{background:#eef}.shadow{background:#ffd}.socketio{background:#dfd}.retired{background:#eee}
 .meta{color:#666;font-size:11px}.stage{font-weight:600}
 button{margin:0 .2rem .2rem 0}#error{color:#b00}.ok{color:#070}.bad{color:#b00}
 .c-chart svg{display:block;margin-bottom:2px}
 table.diff{margin:.3rem 0;font-size:11px;background:#fff}table.diff pre{margin:0;white-space:pre-wrap;word-break:break-all;max-width:22rem}
 table.diff td.d{background:#fee}mark{background:#fc9}
 .legend span{margin-right:1rem}.l{color:#36c}.s{color:#2a2}
 dialog{max-width:32rem}dialog p{margin-top:0}
`;

const BODY = `
<header>
<h1>Switchyard</h1>
<p>Admin token: <input id="token" type="password" size="30"> <button id="save">Use</button>
 · logged in as <strong id="actor">–</strong> · <span id="live" class="bad">not connected</span> · <span id="flags"></span></p>
<p class="legend">connections and events/s: <span class="l">— legacy</span><span class="s">— Socket.IO</span>(events/s dashed)</p>
<p id="error"></p>
</header>
<table id="services"><thead><tr><th>service</th><th>stage</th><th>connections<br>legacy / Socket.IO</th><th>events/s<br>legacy / Socket.IO</th><th>refusals / errors<br>per minute</th><th>shadow consistency</th><th>last switch</th><th>last 15 minutes</th><th>set stage</th></tr></thead><tbody></tbody></table>
<h2>Audit trail</h2><table id="audit"><thead><tr><th>time</th><th>service</th><th>from</th><th>to</th><th>source</th><th>actor</th></tr></thead><tbody></tbody></table>
<dialog id="confirm"><p id="confirm-text"></p><button id="confirm-yes">Confirm</button> <button id="confirm-no">Cancel</button></dialog>
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Built on the first request: a server nobody opens the console on never hashes or assembles the page. */
let built: { page: string; csp: string } | undefined;

function build(): { page: string; csp: string } {
  return { page: PAGE(), csp: CSP() };
}

/**
 * Only this page's own inline style and script run (by hash, no
 * 'unsafe-inline'), it talks to this origin only, and no other page may
 * frame it.
 */
const CSP = (): string => [
  "default-src 'none'",
  `script-src ${hash(CONSOLE_SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = (): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard console</title>
<style>${STYLE}</style></head><body>${BODY}<script>${CONSOLE_SCRIPT}</script></body></html>`;
