(function () {
  function key(td) {
    var v = td.getAttribute('data-v');
    return v === null ? td.textContent.trim().toLowerCase() : parseFloat(v);
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.querySelectorAll('th');
    heads.forEach(function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    table.setAttribute('data-sortable', 'ready');
  });
  document.querySelectorAll('select[data-views]').forEach(function (select) {
    var group = select.getAttribute('data-views');
    function show() {
      document.querySelectorAll('[data-view-group="' + group + '"]').forEach(function (el) {
        el.hidden = el.getAttribute('data-view') !== select.value;
      });
    }
    select.addEventListener('change', show);
    show();
  });
  var only = document.getElementById('only-drifted');
  if (only) {
    only.addEventListener('change', function () {
      document.querySelectorAll('[id^="drift-table"] tbody tr').forEach(function (tr) {
        tr.hidden = only.checked && !tr.classList.contains('drifted');
      });
    });
  }
  document.body.setAttribute('data-ready', '1');
})();
