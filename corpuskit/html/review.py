"""The find-errors review queue as a page: decide each suspect, save the decisions as JSONL.

:func:`render_review` draws each suspect in its sentence (the span marked; arcs for heads and
dependency labels, the entities for entity suspects) with its current and suggested label and its
evidence. Keys: ``j``/``k`` or the arrows move, ``a`` accepts, ``r`` rejects, ``e`` edits the
label. "Save decisions" downloads ``review.jsonl`` (a Blob URL; nothing leaves the page): one object
per decided suspect, its fields plus ``"decision"`` (``accept``/``reject``/``edit``) and ``"label"``
(the label to apply: the suggestion when accepted, the current label when rejected) -- the file
``corpuskit apply-fixes`` reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from ..doc import Doc
from ..finderrors.suspect import Suspect
from ._page import esc, json_script, page
from ._sentence import arcs_svg, ents_html, window

__all__ = ["load_sentences", "render_review"]


def render_review(
    suspects: Sequence[Suspect],
    sentences: Mapping[tuple[str, int], Doc],
    *,
    title: str = "corpuskit find-errors: review",
) -> str:
    """The review page for ``suspects`` (in the order given: most suspect first).

    ``sentences`` maps ``(file, doc)`` -- the suspect's ``file`` and ``doc`` -- to the Doc it
    points into (as ``corpus.read_corpus`` yields it); a suspect whose doc is not given is shown
    by its ``text`` alone.
    """
    items = [_item(k, s, sentences.get((s.file, s.doc))) for k, s in enumerate(suspects)]
    body = (
        f"<header><h1>{esc(title)}</h1></header><main>"
        '<div class="filters" id="bar"><button id="save">Save decisions</button> '
        '<span id="progress"></span> <span class="msg">j/k or ↓/↑ move · a accept · r reject · '
        "e edit (Enter saves the label) · decisions are kept on this page until saved</span></div>"
        f'<div id="queue">{"".join(items)}</div></main>'
        + json_script("suspects", [s.to_dict() for s in suspects])
    )
    return page(title, body, script=_JS, css=_CSS)


def load_sentences(
    suspects: Sequence[Suspect], *, converter: str = "auto", encoding: str = "utf-8"
) -> dict[tuple[str, int], Doc]:
    """The docs the suspects point into, keyed ``(file, doc)``: each file read once with
    ``corpus.read_corpus`` (the numbering ``Suspect.doc`` uses), only the docs needed kept."""
    from ..corpus import read_corpus

    wanted: dict[str, set[int]] = {}
    for s in suspects:
        wanted.setdefault(s.file, set()).add(s.doc)
    out: dict[tuple[str, int], Doc] = {}
    for file, docs in wanted.items():
        last = max(docs)
        for k, doc in enumerate(read_corpus(file, converter=converter, encoding=encoding)):
            if k in docs:
                out[(file, k)] = doc
            if k >= last:
                break
    return out


def _item(k: int, s: Suspect, doc: Doc | None) -> str:
    if doc is not None and 0 <= s.start < s.end <= len(doc.words):
        a, b = window(doc, s.start, s.end)
        if s.layer in ("heads", "deps") and doc.heads is not None:
            view = arcs_svg(doc, a, b, mark=(s.start, s.end))
        else:
            view = ents_html(doc, a, b, mark=(s.start, s.end))
    else:
        view = f'<div class="sent"><span class="tok hit">{esc(s.text)}</span></div>'
    where = f"{s.file}:{s.line}" if s.line is not None else s.file
    current = "—" if s.current is None else s.current
    suggested = "—" if s.suggested is None else s.suggested
    evidence = json.dumps(s.evidence, ensure_ascii=False)
    return (
        f'<section class="item" id="item-{k}" data-index="{k}" tabindex="-1">'
        f'<div class="where"><b>#{k + 1}</b> <code>{esc(where)}</code> doc {s.doc}, tokens '
        f"{s.start}:{s.end} · <b>{esc(s.layer)}</b> · score {s.score:.3f} · {esc(s.method)}</div>"
        f"{view}"
        f'<div class="labels">“{esc(s.text)}”: current <span class="cur">{esc(current)}</span> → '
        f'suggested <span class="sug">{esc(suggested)}</span></div>'
        f'<div class="act"><button data-d="accept">accept (a)</button> <button data-d="reject">reject (r)'
        f'</button> <button data-d="edit">edit (e)</button> <input class="label" size="14" '
        f'placeholder="label" hidden> <span class="state"></span></div>'
        f"<details open><summary>evidence</summary><pre>{esc(evidence)}</pre></details></section>"
    )


_CSS = """
.item{background:#fff;border:1px solid #ddd;border-left:4px solid #bbb;margin:8px 0;padding:6px 10px;
 overflow-x:auto}
.item.cur-item{border-left-color:#1565c0;box-shadow:0 0 0 2px #90caf9}
.item.accept{border-left-color:#2e7d32}.item.reject{border-left-color:#c62828}
.item.edit{border-left-color:#f9a825}
.cur{background:#ffebee;padding:0 4px}.sug{background:#e8f5e9;padding:0 4px}
.state{font-weight:bold}
.item pre{max-height:10em;overflow:auto;background:#f5f5f5;margin:2px 0;font-size:12px;white-space:pre-wrap}
"""

_JS = """
(function(){
const S=JSON.parse(document.getElementById('suspects').textContent);
const items=Array.from(document.querySelectorAll('.item'));
const D=new Array(S.length).fill(null);
let cur=0;
function show(k){
  if(!items.length)return;
  cur=Math.max(0,Math.min(items.length-1,k));
  items.forEach((e,i)=>e.classList.toggle('cur-item',i===cur));
  items[cur].scrollIntoView({block:'nearest'});
}
function progress(){
  const n=D.filter(d=>d).length;
  document.getElementById('progress').textContent=n+' of '+S.length+' decided';
}
function decide(k,d,label){
  const s=S[k];
  if(d==='accept')label=s.suggested;
  if(d==='reject')label=s.current;
  D[k]={decision:d,label:label===undefined?null:label};
  const e=items[k];
  e.classList.remove('accept','reject','edit');e.classList.add(d);
  e.querySelector('.state').textContent=d+(d==='edit'?' → '+label:'');
  e.querySelector('input.label').hidden=true;
  progress();
}
function edit(k){
  const inp=items[k].querySelector('input.label');
  inp.hidden=false;
  inp.value=D[k]&&D[k].label!=null?D[k].label:(S[k].suggested||'');
  inp.focus();inp.select();
}
items.forEach((e,k)=>{
  e.querySelectorAll('button[data-d]').forEach(b=>b.addEventListener('click',()=>{
    show(k);
    if(b.dataset.d==='edit')edit(k);else decide(k,b.dataset.d);
  }));
  const inp=e.querySelector('input.label');
  inp.addEventListener('keydown',ev=>{
    ev.stopPropagation();
    if(ev.key==='Enter'){decide(k,'edit',inp.value.trim()===''?null:inp.value.trim());show(k+1);}
    if(ev.key==='Escape'){inp.hidden=true;}
  });
});
document.addEventListener('keydown',ev=>{
  if(ev.ctrlKey||ev.metaKey||ev.altKey)return;
  const t=ev.target;
  if(t&&t.tagName==='INPUT')return;
  if(ev.key==='j'||ev.key==='ArrowDown'){show(cur+1);ev.preventDefault();}
  else if(ev.key==='k'||ev.key==='ArrowUp'){show(cur-1);ev.preventDefault();}
  else if(ev.key==='a'){decide(cur,'accept');show(cur+1);}
  else if(ev.key==='r'){decide(cur,'reject');show(cur+1);}
  else if(ev.key==='e'){ev.preventDefault();edit(cur);}
});
document.getElementById('save').addEventListener('click',()=>{
  const lines=[];
  S.forEach((s,k)=>{if(D[k])lines.push(JSON.stringify(Object.assign({},s,D[k])));});
  const blob=new Blob([lines.map(l=>l+'\\n').join('')],{type:'application/x-ndjson'});
  const a=document.createElement('a');
  a.href=URL.createObjectURL(blob);a.download='review.jsonl';
  document.body.appendChild(a);a.click();
  setTimeout(()=>{URL.revokeObjectURL(a.href);a.remove();},0);
});
show(0);progress();
})();
"""
