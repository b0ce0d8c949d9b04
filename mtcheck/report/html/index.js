/* mtcheck batch index: sort the table by a column (click the heading; again to reverse). */
(function () {
  'use strict';
  var table = document.getElementById('index');
  if (!table) { return; }
  var heads = Array.prototype.slice.call(table.querySelectorAll('thead th'));
  var body = table.tBodies[0];

  function key(row, col, type) {
    var v = row.cells[col] ? row.cells[col].getAttribute('data-value') : '';
    if (type === 'num') { return v === '' || v === null ? null : Number(v); }
    return (v || '').toLowerCase();
  }

  function sortBy(col) {
    var th = heads[col];
    var type = th.getAttribute('data-type');
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, col, type), y = key(b, col, type);
      if (x === y) { return 0; }
      if (x === null) { return 1; }   // missing values last, whatever the direction
      if (y === null) { return -1; }
      return (x < y ? -1 : 1) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  heads.forEach(function (th, col) {
    var b = th.querySelector('button');
    if (b) { b.addEventListener('click', function () { sortBy(col); }); }
  });
})();
