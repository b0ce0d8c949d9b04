/* mtcheck HTML report: filters, finding details, keyboard navigation, reviewer decisions.
 * The page is complete without this script; it only adds interaction. Article text is
 * read from the embedded JSON block and only ever written with textContent. */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('mtcheck-data').textContent);
  var findings = data.findings;
  var byId = {};
  findings.forEach(function (f) { byId[f.id] = f; });
  var ordered = findings.slice().sort(function (a, b) { return a.order - b.order; });
  var SEVERITY_RANK = { minor: 0, major: 1, critical: 2 };
  var FACETS = ['severity', 'category', 'code', 'decision'];
  var STORE_KEY = 'mtcheck.review/' + data.identity;

  var pop = document.getElementById('pop');
  var marks = Array.prototype.slice.call(document.querySelectorAll('mark.hl'));
  var marksOf = {};
  marks.forEach(function (m) {
    m._ids = m.getAttribute('data-ids').split(' ').filter(Boolean).map(Number);
    m._ids.forEach(function (id) { (marksOf[id] = marksOf[id] || []).push(m); });
  });
  var items = {};
  document.querySelectorAll('li.finding').forEach(function (li) { items[li.getAttribute('data-id')] = li; });
  var ticks = {};
  document.querySelectorAll('#strip .tick').forEach(function (t) { ticks[t.getAttribute('data-id')] = t; });

  var current = null;
  var hideTimer = null;

  // -- reviewer decisions, kept in localStorage under the report's identity -------------
  function loadState() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(STORE_KEY) || 'null');
      if (saved && typeof saved === 'object' && saved.decisions) { return saved; }
    } catch (e) { /* storage unavailable or corrupt: start empty */ }
    return { decisions: {}, reviewer: '' };
  }
  var state = loadState();

  function saveState() {
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* read-only */ }
  }

  // A finding the gate already suppressed (from a suppressions file) starts dismissed.
  function defaultDecision(f) { return f.suppressed ? 'dismissed' : 'open'; }

  function decisionOf(f) {
    var d = state.decisions[f.key];
    if (d && (d.status === 'accepted' || d.status === 'dismissed' || d.status === 'open')) { return d.status; }
    return defaultDecision(f);
  }

  function setDecision(id, status) {
    var f = byId[id];
    if (!f) { return; }
    if (decisionOf(f) === status) { status = 'open'; }  // pressing it again undoes it
    if (status === defaultDecision(f)) {
      delete state.decisions[f.key];
    } else {
      state.decisions[f.key] = { status: status, at: new Date().toISOString() };
    }
    saveState();
    apply();
    if (!pop.hidden && pop._ids) { showPop(pop._anchor, pop._ids); }
  }

  // -- filters ----------------------------------------------------------------------------
  function facetValue(f, facet) {
    return facet === 'decision' ? decisionOf(f) : f[facet];
  }

  function checked(facet) {
    var box = document.querySelector('fieldset[data-facet="' + facet + '"]');
    if (!box) { return null; }
    var on = {};
    box.querySelectorAll('input[type=checkbox]').forEach(function (i) { on[i.value] = i.checked; });
    return on;
  }

  var minConf = document.getElementById('min-confidence');
  var minConfOut = document.getElementById('min-confidence-value');
  var sortBox = document.getElementById('sort-findings');
  var list = document.getElementById('finding-list');

  function confidenceFloor() { return minConf ? Number(minConf.value) || 0 : 0; }

  function passes(f, filters, except) {
    if (f.confidence !== null && f.confidence !== undefined && f.confidence < confidenceFloor()) { return false; }
    return FACETS.every(function (facet) {
      if (facet === except || !filters[facet]) { return true; }
      return filters[facet][facetValue(f, facet)] !== false;
    });
  }

  function apply() {
    var filters = {};
    FACETS.forEach(function (facet) { filters[facet] = checked(facet); });

    // Counts beside each filter: the findings that the *other* filters let through.
    FACETS.forEach(function (facet) {
      var box = document.querySelector('fieldset[data-facet="' + facet + '"]');
      if (!box) { return; }
      var counts = {};
      findings.forEach(function (f) {
        if (passes(f, filters, facet)) {
          var v = facetValue(f, facet);
          counts[v] = (counts[v] || 0) + 1;
        }
      });
      box.querySelectorAll('[data-count]').forEach(function (n) {
        n.textContent = String(counts[n.getAttribute('data-count')] || 0);
      });
    });

    var visible = {};
    var shown = 0;
    findings.forEach(function (f) {
      var vis = passes(f, filters, null);
      visible[f.id] = vis;
      if (vis) { shown += 1; }
      var status = decisionOf(f);
      var li = items[f.id];
      if (li) {
        li.hidden = !vis;
        li.classList.toggle('dismissed', status === 'dismissed');
        li.classList.toggle('accepted', status === 'accepted');
        li.querySelectorAll('button[data-decision]').forEach(function (b) {
          b.setAttribute('aria-pressed', String(b.getAttribute('data-decision') === status));
        });
      }
      if (ticks[f.id]) { ticks[f.id].hidden = !vis; }
    });

    marks.forEach(function (m) {
      var ids = m._ids.filter(function (id) { return visible[id]; });
      var sev = null;
      ids.forEach(function (id) {
        var s = byId[id].severity;
        if (sev === null || SEVERITY_RANK[s] > SEVERITY_RANK[sev]) { sev = s; }
      });
      var statuses = ids.map(function (id) { return decisionOf(byId[id]); });
      m.classList.remove('sev-minor', 'sev-major', 'sev-critical');
      if (sev) { m.classList.add('sev-' + sev); }
      m.classList.toggle('off', ids.length === 0);
      m.classList.toggle('multi', ids.length > 1);
      m.classList.toggle('dismissed', ids.length > 0 && statuses.every(function (s) { return s === 'dismissed'; }));
      m.classList.toggle('accepted', ids.length > 0 && statuses.every(function (s) { return s === 'accepted'; }));
      m._visible = ids;
    });

    var onlyFindings = document.getElementById('only-findings').checked;
    var rowHas = {};
    findings.forEach(function (f) { if (visible[f.id] && f.row !== null) { rowHas[f.row] = true; } });
    document.querySelectorAll('tr[data-row]').forEach(function (tr) {
      tr.hidden = onlyFindings && !rowHas[tr.getAttribute('data-row')];
    });

    document.getElementById('shown-count').textContent = String(shown);
    var nAcc = 0, nDis = 0;
    findings.forEach(function (f) {
      var s = decisionOf(f);
      if (s === 'accepted') { nAcc += 1; } else if (s === 'dismissed') { nDis += 1; }
    });
    document.getElementById('n-accepted').textContent = String(nAcc);
    document.getElementById('n-dismissed').textContent = String(nDis);
    apply.visible = visible;
  }

  function isVisible(id) { return !apply.visible || apply.visible[id] !== false; }

  // -- finding details popup --------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function docBlock(label, text) {
    var p = el('div', 'pop-doc');
    p.appendChild(el('b', null, label));
    p.appendChild(document.createTextNode(text));
    return p;
  }

  function findingDetails(f) {
    var item = el('div', 'pop-item');
    var title = el('div', 'pop-title');
    title.appendChild(el('span', 'badge sev-' + f.severity, f.severity));
    title.appendChild(el('code', null, f.code));
    title.appendChild(el('span', 'rule', f.rule + ' · ' + f.category + (f.source && f.source !== 'mtcheck' ? ' · ' + f.source : '')));
    item.appendChild(title);
    item.appendChild(el('p', 'pop-msg', f.message));
    if (f.confidence !== null && f.confidence !== undefined) {
      item.appendChild(el('p', 'pop-note', 'Confidence ' + f.confidence.toFixed(2) + ': the calibrated probability that an MQM annotator marks an error here.'));
    }
    if (f.suppressed) { item.appendChild(el('p', 'pop-note', 'Suppressed in review' + (f.justification ? ': ' + f.justification : '') + ' (not counted by the gate).')); }
    if (f.baseline) { item.appendChild(el('p', 'pop-note', 'Already in the baseline report (not counted by the gate).')); }
    if (f.suggestions && f.suggestions.length) {
      var s = el('p', 'pop-sugg');
      s.appendChild(el('b', null, f.suggestions.length > 1 ? 'Suggestions: ' : 'Suggestion: '));
      f.suggestions.slice(0, 5).forEach(function (t) { s.appendChild(el('span', 's', t)); });
      item.appendChild(s);
    }
    var help = data.rules[f.code];
    if (help) {
      if (help.what) { item.appendChild(docBlock('What it does', help.what)); }
      if (help.why) { item.appendChild(docBlock('Why it matters', help.why)); }
    } else {
      item.appendChild(el('p', 'pop-doc', f.source === 'languagetool'
        ? 'Reported by LanguageTool; no mtcheck rule explanation.'
        : 'No explanation is available for this rule.'));
    }
    var actions = el('div', 'pop-actions');
    var status = decisionOf(f);
    [['accepted', 'Accept', 'accept'], ['dismissed', 'Dismiss', 'dismiss']].forEach(function (a) {
      var b = el('button', a[2], a[1]);
      b.type = 'button';
      b.setAttribute('aria-pressed', String(status === a[0]));
      b.addEventListener('click', function () { setDecision(f.id, a[0]); });
      actions.appendChild(b);
    });
    actions.appendChild(el('span', 'state', status === 'open' ? '' : status));
    item.appendChild(actions);
    return item;
  }

  function showPop(anchor, ids) {
    ids = ids.filter(isVisible);
    if (!anchor || !ids.length) { hidePop(); return; }
    if (current !== null && ids.indexOf(current) > 0) {
      ids = [current].concat(ids.filter(function (i) { return i !== current; }));
    }
    clearTimeout(hideTimer);
    pop.textContent = '';
    ids.forEach(function (id) { pop.appendChild(findingDetails(byId[id])); });
    pop._anchor = anchor;
    pop._ids = ids;
    pop.hidden = false;
    var r = anchor.getBoundingClientRect();
    var w = pop.offsetWidth, h = pop.offsetHeight;
    var left = Math.max(8, Math.min(r.left, window.innerWidth - w - 16));
    var top = r.bottom + 6;
    if (top + h > window.innerHeight - 8 && r.top - h - 6 > 8) { top = r.top - h - 6; }
    pop.style.left = (left + window.scrollX) + 'px';
    pop.style.top = (top + window.scrollY) + 'px';
  }

  function hidePop() {
    clearTimeout(hideTimer);
    pop.hidden = true;
    pop._anchor = null;
    pop._ids = null;
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hidePop, 250);
  }

  // -- navigation ---------------------------------------------------------------------------
  function setCurrent(id) {
    current = id;
    document.querySelectorAll('.current').forEach(function (e) { e.classList.remove('current'); });
    document.querySelectorAll('.current-row').forEach(function (e) { e.classList.remove('current-row'); });
    if (id === null) { return; }
    (marksOf[id] || []).forEach(function (m) { m.classList.add('current'); });
    if (items[id]) { items[id].classList.add('current'); }
    if (ticks[id]) { ticks[id].classList.add('current'); }
    var f = byId[id];
    if (f.row !== null) {
      var row = document.getElementById('row-' + f.row);
      if (row) { row.classList.add('current-row'); }
    }
  }

  function goTo(id) {
    var f = byId[id];
    if (!f) { return; }
    setCurrent(id);
    var ms = marksOf[id] || [];
    var target = ms[0] || (f.row !== null ? document.getElementById('row-' + f.row) : null);
    if (target) {
      target.scrollIntoView({ block: 'center' });
      if (ms[0]) {
        ms[0].focus({ preventScroll: true });
        showPop(ms[0], ms[0]._ids);
      }
    }
    if (items[id]) { items[id].scrollIntoView({ block: 'nearest' }); }
  }

  function step(delta) {
    var n = ordered.length;
    if (!n) { return; }
    var start = current === null ? (delta > 0 ? -1 : 0) : byId[current].order;
    for (var k = 1; k <= n; k++) {
      var f = ordered[((start + delta * k) % n + n) % n];
      if (isVisible(f.id)) { goTo(f.id); return; }
    }
  }

  // -- export -------------------------------------------------------------------------------
  function suppressions() {
    var out = [];
    var seen = {};
    ordered.forEach(function (f) {
      if (decisionOf(f) !== 'dismissed') { return; }
      var d = state.decisions[f.key];
      var entry = { code: f.code, text: f.text, context: f.context, side: f.side };
      if (d) {
        entry.reason = 'dismissed in review';
        if (state.reviewer) { entry.reviewer = state.reviewer; }
        entry.date = d.at.slice(0, 10);
      } else {  // suppressed by the file this report was checked with: keep its reason
        entry.reason = f.justification || 'dismissed in review';
      }
      var k = JSON.stringify([entry.code, entry.side, entry.text, entry.context]);
      if (!seen[k]) { seen[k] = true; out.push(entry); }
    });
    return { schema: data.schema, suppressions: out };
  }

  function exportFile() {
    var text = JSON.stringify(suppressions(), null, 2) + '\n';
    var blob = new Blob([text], { type: 'application/json' });
    var a = document.createElement('a');
    var base = (data.candidate.split(/[\\/]/).pop() || 'candidate').replace(/\.[^.]*$/, '');
    a.href = URL.createObjectURL(blob);
    a.download = base + '.suppressions.json';
    document.body.appendChild(a);
    a.click();
    // revoke late: a busy browser may start reading the blob after a while
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 60000);
  }

  // -- wiring -------------------------------------------------------------------------------
  document.querySelectorAll('fieldset[data-facet] input, #only-findings').forEach(function (i) {
    i.addEventListener('change', function () {
      apply();
      if (pop._anchor) { showPop(pop._anchor, pop._anchor._ids || []); }
    });
  });

  if (minConf) {
    minConf.addEventListener('input', function () {
      if (minConfOut) { minConfOut.textContent = confidenceFloor().toFixed(2); }
      apply();
      if (pop._anchor) { showPop(pop._anchor, pop._anchor._ids || []); }
    });
  }
  // The list: by confidence (as rendered) or in reading order; j/k follow the article.
  if (sortBox && list) {
    sortBox.addEventListener('change', function () {
      var key = sortBox.value === 'position' ? 'order' : 'rank';
      findings.slice().sort(function (a, b) { return a[key] - b[key]; }).forEach(function (f) {
        if (items[f.id]) { list.appendChild(items[f.id]); }
      });
    });
  }

  document.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest('button') : null;
    if (!t) { return; }
    if (t.classList.contains('jump') || t.classList.contains('tick')) {
      goTo(Number(t.getAttribute('data-id')));
    } else if (t.hasAttribute('data-decision')) {
      setDecision(Number(t.getAttribute('data-id')), t.getAttribute('data-decision'));
    }
  });

  marks.forEach(function (m) {
    m.addEventListener('mouseenter', function () { showPop(m, m._ids); });
    m.addEventListener('mouseleave', hideSoon);
    m.addEventListener('focus', function () {
      var vis = m._ids.filter(isVisible);
      if (vis.length && vis.indexOf(current) < 0) { setCurrent(vis[0]); }
      showPop(m, m._ids);
    });
    m.addEventListener('blur', function (e) {
      if (!e.relatedTarget || !pop.contains(e.relatedTarget)) { hideSoon(); }
    });
  });
  pop.addEventListener('mouseenter', function () { clearTimeout(hideTimer); });
  pop.addEventListener('mouseleave', hideSoon);

  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    var key = e.key;
    if (key === 'j' || key === 'n') { step(1); }
    else if (key === 'k' || key === 'p') { step(-1); }
    else if (key === 'a' && current !== null) { setDecision(current, 'accepted'); }
    else if (key === 'd' && current !== null) { setDecision(current, 'dismissed'); }
    else if (key === 'u' && current !== null) { setDecision(current, 'open'); }
    else if (key === 'Escape') { hidePop(); }
    else { return; }
    e.preventDefault();
  });

  var reviewer = document.getElementById('reviewer');
  reviewer.value = state.reviewer || '';
  reviewer.addEventListener('input', function () { state.reviewer = reviewer.value.trim(); saveState(); });

  document.getElementById('export').addEventListener('click', exportFile);
  var clearBtn = document.getElementById('clear-decisions');
  var clearTimer = null;
  clearBtn.addEventListener('click', function () {
    if (!clearBtn._armed) {
      clearBtn._armed = true;
      clearBtn.textContent = 'Click again to clear';
      clearTimer = setTimeout(function () { clearBtn._armed = false; clearBtn.textContent = 'Clear decisions'; }, 3000);
      return;
    }
    clearTimeout(clearTimer);
    clearBtn._armed = false;
    clearBtn.textContent = 'Clear decisions';
    state.decisions = {};
    saveState();
    apply();
    hidePop();
  });

  apply();
  window.mtcheckReview = { suppressions: suppressions, goTo: goTo, step: step };
})();
