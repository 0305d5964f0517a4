// The big screen refreshes itself: every 30 s it asks /api/overview.json and swaps numbers and charts in.
(function () {
  "use strict";
  var PERIOD = 30000;
  function pick(data, path) {
    return path.split(".").reduce(function (v, k) { return v == null ? v : v[k]; }, data);
  }
  function rows(tbody, items, cells, empty) {
    tbody.textContent = "";
    if (!items.length) {
      var tr = tbody.insertRow(), td = tr.insertCell();
      td.colSpan = 7; td.className = "muted"; td.textContent = empty;
      return;
    }
    // each cell keeps its column's name: on a phone the rows are cards that show it (style.css, table.cards)
    var heads = Array.prototype.map.call(tbody.parentNode.querySelectorAll("thead th"), function (th) {
      return th.textContent;
    });
    items.forEach(function (item) {
      var tr = tbody.insertRow();
      cells(item).forEach(function (c, i) {
        var td = tr.insertCell();
        if (heads[i]) { td.setAttribute("data-label", heads[i]); }
        if (c && c.href) { var a = document.createElement("a"); a.href = c.href; a.textContent = c.text; td.appendChild(a); }
        else { td.textContent = c; }
      });
    });
  }
  function apply(data) {
    document.querySelectorAll("[data-key]").forEach(function (el) {
      var v = pick(data, el.getAttribute("data-key"));
      if (v != null) { el.textContent = v; }
    });
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var svg = data.charts[el.getAttribute("data-chart")];
      if (svg) { el.innerHTML = svg; }  // drawn by our own server, from escaped text
    });
    var od = document.querySelector("#overdue tbody");
    if (od) {
      rows(od, data.overdue, function (t) {
        return [{href: "/tickets/" + t.id, text: "#" + t.id}, t.category, t.grid, t.holder, "L" + t.level, t.late, t.text];
      }, "没有超期工单");
    }
    var gr = document.querySelector("#grids tbody");
    if (gr) {
      rows(gr, data.grids, function (g) {
        return [g.grid, g.open, g.overdue, g.resolved, g.on_time_rate, g.rated, g.satisfaction];
      }, "没有可显示的网格");
    }
    var rt = document.querySelector("#rates tbody");
    if (rt) {
      rows(rt, data.rates, function (r) {
        return [r.kind, r.name, r.response, r.solved, r.satisfied, r.score];
      }, "没有可显示的数据");
    }
    document.body.setAttribute("data-refreshed", data.generated_at);
  }
  function tick() {
    fetch("/api/overview.json", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (r.status === 401) { location.href = "/login"; return null; } return r.json(); })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* keep the last figures; try again next period */ });
  }
  window.gridbotRefresh = tick;
  setInterval(tick, PERIOD);
})();
