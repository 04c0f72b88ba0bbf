/**
 * The console page's script (runs in the browser; served inline and allowed
 * by its hash). It reads the admin SSE stream with fetch() — which, unlike
 * EventSource, sends the bearer token in a header — and draws everything
 * itself: no library, nothing from another origin.
 */
export const CONSOLE_SCRIPT = String.raw`
const STAGES=['legacy','shadow','socketio','retired'];
const NS='http://www.w3.org/2000/svg';
const WINDOW_MS=15*60*1000;
const $=(s)=>document.querySelector(s);
const el=(tag,cls,text)=>{const e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined)e.textContent=text;return e;};
const show=(n)=>n===null||n===undefined?'–':String(n);
$('#token').value=sessionStorage.getItem('switchyard-token')||'';
let abort=null;let history=[];let latest=null;const rows=new Map();
$('#save').onclick=()=>{sessionStorage.setItem('switchyard-token',$('#token').value);connect();};

async function call(method,path,body){
  const res=await fetch(path,{method,headers:{'authorization':'Bearer '+$('#token').value,'content-type':'application/json'},body:body&&JSON.stringify(body)});
  const json=await res.json();
  if(!res.ok)throw new Error(json.error?json.error.code+': '+json.error.message:res.status);
  return json;
}

async function connect(){
  if(abort)abort.abort();
  const ctrl=new AbortController();abort=ctrl;
  try{
    const res=await fetch('/api/admin/console/stream',{headers:{'authorization':'Bearer '+$('#token').value},signal:ctrl.signal,cache:'no-store'});
    if(!res.ok){const j=await res.json().catch(()=>({}));throw new Error(j.error?j.error.code+': '+j.error.message:String(res.status));}
    $('#error').textContent='';$('#live').textContent='live';$('#live').className='ok';
    const reader=res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf='';
    for(;;){
      const {value,done}=await reader.read();
      if(done)break;
      buf+=value;let i;
      while((i=buf.indexOf('\n\n'))>=0){const block=buf.slice(0,i);buf=buf.slice(i+2);onEvent(block);}
    }
    throw new Error('the stream ended');
  }catch(e){
    if(ctrl.signal.aborted)return;
    $('#live').textContent='disconnected';$('#live').className='bad';$('#error').textContent=e.message;
    // A wrong token stays wrong; anything else (restart, dropped as a slow viewer) is retried.
    if(!/UNAUTHORIZED/.test(e.message))setTimeout(()=>{if(abort===ctrl)connect();},2000);
  }
}

function onEvent(block){
  let event='message';let data='';
  for(const line of block.split('\n')){if(line.startsWith('event: '))event=line.slice(7);else if(line.startsWith('data: '))data+=line.slice(6);}
  if(!data)return;
  const msg=JSON.parse(data);
  if(event==='hello'){$('#actor').textContent=msg.actor||'–';history=msg.history;renderAudit(msg.audit);}
  else if(event==='snapshot')render(msg);
}

function stageText(s){return s.rollout?s.stage+' + '+s.rollout.percent+'% '+s.rollout.stage:s.stage;}

function render(snap){
  latest=snap;
  const f=snap.flags;
  $('#flags').textContent='flags: '+f.kind+(f.healthy?' (healthy)':' (UNHEALTHY: '+(f.error||'')+')');
  const last=history[history.length-1];
  if(!last||snap.at-last.at>=10000){
    const point={at:snap.at,services:{}};
    for(const s of snap.services)point.services[s.service]=[s.connections.legacy,s.connections.socketio,s.eventsPerSecond.legacy,s.eventsPerSecond.socketio];
    history.push(point);if(history.length>90)history.shift();
  }
  for(const s of snap.services)renderService(s,snap.at);
  if(snap.audit)renderAudit(snap.audit);
}

function rowFor(service){
  let r=rows.get(service);
  if(r)return r;
  const tr=el('tr');tr.dataset.service=service;
  r={tr,cells:{}};
  for(const name of ['service','stage','conn','eps','faults','shadow','last','chart','actions']){r.cells[name]=el('td','c-'+name);tr.append(r.cells[name]);}
  r.name=el('strong',null,service);r.meta=el('div','meta');r.cells.service.append(r.name,r.meta);
  r.stage=el('div','stage');r.source=el('div','meta');r.cells.stage.append(r.stage,r.source);
  r.consistency=el('div');r.diff=el('details');r.diffSummary=el('summary');r.diffBody=el('div');r.diff.append(r.diffSummary,r.diffBody);r.cells.shadow.append(r.consistency,r.diff);r.diffCount=-1;
  r.conns=svg();r.rates=svg();r.cells.chart.append(r.conns,r.rates);
  r.buttons={};
  for(const stage of STAGES){const b=el('button',null,stage);b.onclick=()=>ask(service,stage);r.buttons[stage]=b;r.cells.actions.append(b);}
  r.clear=el('button',null,'clear override');r.clear.onclick=()=>ask(service,null);r.cells.actions.append(r.clear);
  $('#services tbody').append(tr);rows.set(service,r);
  return r;
}

function renderService(s,now){
  const r=rowFor(s.service);
  r.tr.className=s.stage;
  r.meta.textContent=s.priority+' priority · phase '+s.phase;
  r.stage.textContent=stageText(s);
  r.source.textContent='source: '+s.source;
  r.cells.conn.textContent=s.connections.legacy+' / '+s.connections.socketio;
  r.cells.eps.textContent=show(s.eventsPerSecond.legacy)+' / '+show(s.eventsPerSecond.socketio);
  r.cells.faults.textContent=show(s.refusalsPerMinute)+' / '+show(s.errorsPerMinute);
  if(!s.shadow){r.consistency.textContent='– (not in shadow)';r.diff.hidden=true;r.diffCount=-1;}
  else{
    const sh=s.shadow;const total=sh.matches+sh.mismatches;
    r.consistency.textContent=sh.consistency===null?'no comparisons yet':(sh.consistency*100).toFixed(2)+'% of '+total+' ('+sh.mismatches+' mismatches)';
    r.diff.hidden=sh.samples.length===0;
    if(sh.samples.length!==r.diffCount){r.diffCount=sh.samples.length;r.diffSummary.textContent='first '+sh.samples.length+' mismatches';r.diffBody.replaceChildren(...sh.samples.map(diffTable));}
  }
  const ls=s.lastSwitch;
  r.cells.last.textContent=ls?ls.from+' → '+ls.to+' at '+ls.at.slice(11,19)+' by '+ls.actor+(ls.durationMs===null?'':' in '+ls.durationMs+' ms'):'–';
  for(const stage of STAGES)r.buttons[stage].disabled=stage===s.stage&&!s.rollout;
  r.clear.disabled=s.source!=='override';
  const pts=history.map((p)=>[p.at,p.services[s.service]]).filter((p)=>p[1]);
  pts.push([now,[s.connections.legacy,s.connections.socketio,s.eventsPerSecond.legacy,s.eventsPerSecond.socketio]]);
  draw(r.conns,'connections',now,[[pts.map((p)=>[p[0],p[1][0]]),'#36c',''],[pts.map((p)=>[p[0],p[1][1]]),'#2a2','']]);
  draw(r.rates,'events/s',now,[[pts.map((p)=>[p[0],p[1][2]]),'#36c','3 2'],[pts.map((p)=>[p[0],p[1][3]]),'#2a2','3 2']]);
}

function svg(){const e=document.createElementNS(NS,'svg');e.setAttribute('viewBox','0 0 200 36');e.setAttribute('width','200');e.setAttribute('height','36');return e;}

function draw(target,label,now,series){
  target.replaceChildren();
  let max=0;
  for(const [values] of series)for(const [,v] of values)if(v!==null&&v>max)max=v;
  const top=max||1;
  const frame=document.createElementNS(NS,'rect');
  for(const [k,v] of [['x','0'],['y','0'],['width','200'],['height','36'],['fill','#fafafa'],['stroke','#ddd']])frame.setAttribute(k,v);
  target.append(frame);
  for(const [values,color,dash] of series){
    const pts=values.filter(([t,v])=>v!==null&&t>=now-WINDOW_MS).map(([t,v])=>(200*(t-(now-WINDOW_MS))/WINDOW_MS).toFixed(1)+','+(34-30*v/top).toFixed(1));
    if(pts.length===0)continue;
    const line=document.createElementNS(NS,'polyline');
    line.setAttribute('points',pts.length===1?pts[0]+' '+pts[0]:pts.join(' '));line.setAttribute('fill','none');line.setAttribute('stroke',color);line.setAttribute('stroke-width','1.5');
    if(dash)line.setAttribute('stroke-dasharray',dash);
    target.append(line);
  }
  const text=document.createElementNS(NS,'text');text.setAttribute('x','3');text.setAttribute('y','10');text.setAttribute('font-size','9');text.setAttribute('fill','#555');
  text.textContent=label+' (max '+max+', 15 min)';target.append(text);
}

function diffTable(sample){
  const t=el('table','diff');
  const cap=el('caption',null,sample.event+(sample.seq===null?'':' seq '+sample.seq)+' at '+new Date(sample.at).toISOString().slice(11,19));
  const head=el('tr');head.append(el('th',null,'legacy handlers'),el('th',null,'Socket.IO handlers (adapter)'));
  t.append(cap,head);
  const n=Math.max(sample.legacy.length,sample.adapter.length);
  for(let i=0;i<n;i++){
    const a=sample.legacy[i];const b=sample.adapter[i];const tr=el('tr');
    tr.append(frameCell(a,b),frameCell(b,a));t.append(tr);
  }
  return t;
}

function frameCell(mine,other){
  const td=el('td');const pre=el('pre');td.append(pre);
  if(mine===undefined){pre.append(el('em',null,'(no frame)'));td.className='d';return td;}
  if(mine===other){pre.textContent=mine;return td;}
  td.className='d';
  // Mark what lies between the common start and the common end of the two frames.
  let i=0;const o=other||'';while(i<mine.length&&i<o.length&&mine[i]===o[i])i++;
  let j=0;while(j<mine.length-i&&j<o.length-i&&mine[mine.length-1-j]===o[o.length-1-j])j++;
  pre.append(mine.slice(0,i),el('mark',null,mine.slice(i,mine.length-j)),mine.slice(mine.length-j));
  return td;
}

function renderAudit(entries){
  const body=$('#audit tbody');body.replaceChildren();
  for(const e of entries.slice().reverse()){const tr=el('tr');for(const v of [e.at,e.service,e.from,e.to,e.source,e.actor])tr.append(el('td',null,v));body.append(tr);}
}

function ask(service,stage){
  const s=latest&&latest.services.find((x)=>x.service===service);
  if(!s)return;
  const target=stage||s.sourceStage;
  const moves=s.moves[target];
  $('#confirm-text').textContent=(stage?'Set '+service+' to '+stage:'Clear the override of '+service+' (back to '+s.sourceStage+' from '+s.source+')')
    +' (now '+stageText(s)+')? This moves '+moves+' open connection'+(moves===1?'':'s')+'.'
    +(target==='retired'?' The legacy endpoint then refuses every new connection.':'')
    +' Recorded in the audit trail as '+$('#actor').textContent+'.';
  const dialog=$('#confirm');
  $('#confirm-yes').onclick=()=>{
    dialog.close();
    const done=stage?call('PUT','/api/admin/stages/'+service,{stage}):call('DELETE','/api/admin/stages/'+service);
    done.then(()=>{$('#error').textContent='';},(e)=>{$('#error').textContent=e.message;});
  };
  $('#confirm-no').onclick=()=>dialog.close();
  dialog.showModal();
}

if($('#token').value)connect();
`;
