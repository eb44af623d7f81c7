/** The status page's stylesheet: a table on a wide screen, cards on a phone. */
export const STATUS_CSS = `
*{box-sizing:border-box}[hidden]{display:none!important}
body{font-family:system-ui,sans-serif;margin:1.5em;color:#1f2328;background:#fff;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.4em 0 .5em}
a{color:#0969da}
.muted{color:#656d76}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(8.5em,1fr));gap:.6em;margin:1em 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em .8em;border-left-width:6px;color:inherit;text-decoration:none}
.card b{display:block;font-size:1.8em;line-height:1.1}
.card.expired,.card.critical{border-left-color:#cf222e}.card.warning{border-left-color:#bf8700}
.card.ok{border-left-color:#2da44e}.card.err{border-left-color:#8250df}
.hist{width:100%;max-width:760px;height:auto;font-size:12px;fill:#1f2328}
.hist .n{font-weight:bold}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin-bottom:1em;width:100%}
td,th{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.wrap{overflow-wrap:anywhere}
.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e;font-weight:bold}
.st-expired,.st-critical{color:#cf222e;font-weight:bold}.st-warning{color:#9a6700}.st-ok{color:#1a7f37}
.filters{display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0}
.filters input,.filters select{font:inherit;padding:.35em;min-width:0}
.filters input{flex:1 1 14em}
.sans{font-size:.9em}
@media (max-width:720px){
  body{margin:.6em}
  table.certs thead{display:none}
  table.certs,table.certs tbody,table.certs tr,table.certs td{display:block;width:100%}
  table.certs tr{border:1px solid #d0d7de;border-radius:6px;margin-bottom:.6em;padding:.3em}
  table.certs td{border:0;padding:.1em .3em}
  table.certs td:nth-child(1)::before{content:"days left: "}
  table.certs td:nth-child(2)::before{content:"not after: "}
  table.certs td:nth-child(5)::before{content:"issuer: "}
  table.certs td:nth-child(6)::before{content:"source: "}
  table.certs td:nth-child(7)::before{content:"location: "}
  table.certs td:nth-child(8)::before{content:"chain: "}
  table.certs td::before{color:#656d76}
  table.certs td:empty{display:none}
}`;

/**
 * The page's only script: filters the certificate rows by text, source and
 * state. Without it every row shows.
 */
export const STATUS_JS = `
(function(){
  var q=document.getElementById("q"),src=document.getElementById("src"),st=document.getElementById("st");
  var rows=[].slice.call(document.querySelectorAll("#certs tbody tr")),shown=document.getElementById("shown");
  var text=rows.map(function(r){return r.textContent.toLowerCase();});
  function apply(){
    var t=q.value.trim().toLowerCase(),s=src.value,v=st.value,n=0;
    for(var i=0;i<rows.length;i++){
      var r=rows[i],ok=(!t||text[i].indexOf(t)>=0)&&(!s||r.dataset.source===s)&&(!v||r.dataset.state===v||(v==="soon"&&r.dataset.state!=="ok"));
      r.hidden=!ok;if(ok)n++;
    }
    shown.textContent=n;
  }
  q.addEventListener("input",apply);src.addEventListener("change",apply);st.addEventListener("change",apply);
  var p=new URLSearchParams(location.search);
  if(p.get("q"))q.value=p.get("q");if(p.get("source"))src.value=p.get("source");if(p.get("state"))st.value=p.get("state");
  apply();
})();`;
