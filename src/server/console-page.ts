import { createHash } from 'node:crypto';
import type Router from '@koa/router';

/**
 * `GET /console`: the operator console. One static page; everything it shows
 * and changes goes through the admin API with the token the operator types
 * (kept in sessionStorage, never sent anywhere else).
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

 body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
 table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
 .legacy{background:#eef}.shadow{background:#ffd}.socketio{background:#dfd}.retired{background:#eee}
 button{margin-right:.2rem}#error{color:#b00}code{background:#f4f4f4;padding:0 .2rem}
`;

const BODY = `
<h1>Switchyard</h1>
<p>Admin token: <input id="token" type="password" size="30"> <button id="save">Use</button> <span id="flags"></span></p>
<p id="error"></p>
<table id="services"><thead><tr><th>service</th><th>priority / phase</th><th>stage</th><th>source</th><th>connections (legacy / Socket.IO)</th><th>shadow consistency</th><th>set stage</th></tr></thead><tbody></tbody></table>
<h2>Audit trail</h2><table id="audit"><thead><tr><th>time</th><th>service</th><th>from</th><th>to</th><th>source</th><th>actor</th></tr></thead><tbody></tbody></table>
`;

const SCRIPT = `
const STAGES=['legacy','shadow','socketio','retired'];
const $=(s)=>document.querySelector(s);
$('#token').value=sessionStorage.getItem('switchyard-token')||'';
$('#save').onclick=()=>{sessionStorage.setItem('switchyard-token',$('#token').value);refresh();};
async function call(method,path,body){
  const res=await fetch(path,{method,headers:{'authorization':'Bearer '+$('#token').value,'content-type':'application/json'},body:body&&JSON.stringify(body)});
  const json=await res.json();
  if(!res.ok)throw new Error(json.error?json.error.code+': '+json.error.message:res.status);
  return json;
}
function cell(text){const td=document.createElement('td');td.textContent=text;return td;}
async function refresh(){
  try{
    const [stages,shadow,audit]=await Promise.all([call('GET','/api/admin/stages'),call('GET','/api/admin/shadow'),call('GET','/api/admin/audit')]);
    $('#error').textContent='';
    $('#flags').textContent='flags: '+stages.flags.kind+(stages.flags.healthy?' (healthy)':' (UNHEALTHY: '+(stages.flags.error||'')+')');
    const body=$('#services tbody');body.replaceChildren();
    for(const s of stages.services){
      const tr=document.createElement('tr');tr.className=s.stage;
      const sh=shadow.services.find((x)=>x.service===s.service);
      tr.append(cell(s.service),cell(s.priority+' / '+s.phase),cell(s.stage),cell(s.source),
        cell(s.connections.legacy+' / '+s.connections.socketio),
        cell(sh&&sh.consistency!==null?(sh.consistency*100).toFixed(2)+'% of '+(sh.matches+sh.mismatches):'–'));
      const actions=document.createElement('td');
      for(const stage of STAGES){const b=document.createElement('button');b.textContent=stage;b.disabled=stage===s.stage;
        b.onclick=()=>call('PUT','/api/admin/stages/'+s.service,{stage}).then(refresh,(e)=>$('#error').textContent=e.message);actions.append(b);}
      const clear=document.createElement('button');clear.textContent='clear override';clear.disabled=!s.override;
      clear.onclick=()=>call('DELETE','/api/admin/stages/'+s.service).then(refresh,(e)=>$('#error').textContent=e.message);
      actions.append(clear);tr.append(actions);body.append(tr);
    }
    const ab=$('#audit tbody');ab.replaceChildren();
    for(const e of audit.entries.slice(-50).reverse()){const tr=document.createElement('tr');tr.append(cell(e.at),cell(e.service),cell(e.from),cell(e.to),cell(e.source),cell(e.actor));ab.append(tr);}
  }catch(e){$('#error').textContent=e.message;}
}
refresh();setInterval(refresh,2000);
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
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = (): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard console</title>
<style>${STYLE}</style></head><body>${BODY}<script>${SCRIPT}</script></body></html>`;
