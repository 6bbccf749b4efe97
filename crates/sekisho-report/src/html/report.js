(function () {
  "use strict";
  // Everything is rendered without this script; it only shows the filter form, hides rows
  // that do not match, reorders groups, and keeps the state in the URL fragment
  // (#severity=HIGH,CRITICAL&kind=secret&fix=yes&q=openssl&sort=name). It never writes markup.
  var form = document.getElementById("filters");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.f"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("tbody.g"));
  var blocks = Array.prototype.slice.call(document.querySelectorAll(".fblock"));
  var shown = document.getElementById("shown");
  var text = rows.map(function (r) {
    var g = r.parentNode && r.parentNode.querySelector("tr.gh");
    return ((g ? g.textContent : "") + " " + r.textContent).toLowerCase();
  });
  function boxes(name) {
    return Array.prototype.slice.call(form.querySelectorAll("input[name='" + name + "']"));
  }
  function values(name) {
    return boxes(name).filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }
  function sortGroups(by) {
    var tables = {};
    groups.forEach(function (g) {
      var t = g.parentNode;
      var k = t.id;
      (tables[k] = tables[k] || { t: t, g: [] }).g.push(g);
    });
    Object.keys(tables).forEach(function (k) {
      var e = tables[k];
      e.g.sort(function (a, b) {
        var ra = +a.getAttribute("data-rank"), rb = +b.getAttribute("data-rank");
        var na = +a.getAttribute("data-count"), nb = +b.getAttribute("data-count");
        var sa = a.getAttribute("data-name"), sb = b.getAttribute("data-name");
        var byName = sa < sb ? -1 : sa > sb ? 1 : 0;
        if (by === "name") { return byName; }
        if (by === "count") { return nb - na || rb - ra || byName; }
        return rb - ra || nb - na || byName;
      });
      e.g.forEach(function (g) { e.t.appendChild(g); });
    });
  }
  function apply() {
    var sev = values("severity"), kind = values("kind");
    var fix = form.elements.fix.value;
    var q = form.elements.q.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r, i) {
      var ok = sev.indexOf(r.getAttribute("data-sev")) >= 0 &&
        kind.indexOf(r.getAttribute("data-kind")) >= 0 &&
        (fix === "any" || r.getAttribute("data-fix") === fix) &&
        (q === "" || text[i].indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr.f:not([hidden])"); });
    blocks.forEach(function (b) { b.hidden = !b.querySelector("tr.f:not([hidden])"); });
    sortGroups(form.elements.sort.value);
    shown.textContent = "Showing " + n + " of " + rows.length + " findings.";
  }
  function toHash() {
    var p = [];
    var sev = values("severity"), kind = values("kind");
    if (sev.length !== boxes("severity").length) { p.push("severity=" + sev.join(",")); }
    if (kind.length !== boxes("kind").length) { p.push("kind=" + kind.join(",")); }
    if (form.elements.fix.value !== "any") { p.push("fix=" + form.elements.fix.value); }
    if (form.elements.q.value !== "") { p.push("q=" + encodeURIComponent(form.elements.q.value)); }
    if (form.elements.sort.value !== "severity") { p.push("sort=" + form.elements.sort.value); }
    var h = p.length ? "#" + p.join("&") : " ";
    try { history.replaceState(null, "", h === " " ? location.pathname + location.search : h); } catch (e) { /* file: URLs in some browsers */ }
  }
  function fromHash() {
    var h = location.hash.replace(/^#/, "");
    var m = {};
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) {
        try { m[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { m[kv.slice(0, i)] = ""; }
      }
    });
    ["severity", "kind"].forEach(function (name) {
      var want = m[name] === undefined ? null : m[name].toUpperCase().split(",");
      boxes(name).forEach(function (b) { b.checked = want === null || want.indexOf(b.value.toUpperCase()) >= 0; });
    });
    var fix = m.fix === "yes" || m.fix === "no" ? m.fix : "any";
    form.elements.fix.value = fix;
    form.elements.q.value = m.q || "";
    form.elements.sort.value = m.sort === "name" || m.sort === "count" ? m.sort : "severity";
  }
  form.hidden = false;
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("input", function () { apply(); toHash(); });
  form.addEventListener("change", function () { apply(); toHash(); });
  form.addEventListener("reset", function () {
    setTimeout(function () { apply(); toHash(); }, 0);
  });
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
  document.documentElement.setAttribute("data-ready", "1");
}());
