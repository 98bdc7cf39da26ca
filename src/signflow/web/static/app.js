/* Signflow signer pages: field placement, zoom and "next field" (the sign dialog: adopt.js).
   Plain JavaScript, no build step; the pages work without it except for drawing. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // Fields: positioned over the page image from their PDF box (percentages of the page).
  function placeFields() {
    var fields = document.querySelectorAll(".field[data-l]");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      f.style.left = f.dataset.l + "%";
      f.style.top = f.dataset.t + "%";
      f.style.width = f.dataset.w + "%";
      f.style.height = f.dataset.h + "%";
    }
  }

  // Zoom: the pages' width as a multiple of the column.
  function setupZoom() {
    var pages = document.getElementById("pages");
    var out = document.getElementById("zoom-level");
    if (!pages || !out) { return; }
    var levels = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
    var index = 2;
    function apply() {
      pages.style.setProperty("--zoom", String(levels[index]));
      out.textContent = out.dataset.template.replace("%", String(Math.round(levels[index] * 100))).replace("%%", "%");
    }
    document.getElementById("zoom-in").addEventListener("click", function () {
      if (index < levels.length - 1) { index++; apply(); }
    });
    document.getElementById("zoom-out").addEventListener("click", function () {
      if (index > 0) { index--; apply(); }
    });
  }

  // "Next field": the next of my fields that still needs me, in page order.
  function done(el) {
    if (el.tagName === "SELECT") { return !!el.value; }
    if (el.tagName !== "INPUT") { return false; }
    if (el.type === "checkbox") { return el.checked; }
    if (el.type === "radio") {
      // A radio group is done once one of its buttons is chosen.
      var group = document.getElementsByName(el.name);
      for (var g = 0; g < group.length; g++) { if (group[g].checked) { return true; } }
      return false;
    }
    return !!el.value;
  }
  function pendingFields() {
    var all = document.querySelectorAll("button.field-sign.todo, .field-input input, .field-input select");
    var list = [];
    var groups = {};
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      // "Next field" leads to what is still needed, not to optional fields.
      if (el.disabled || el.hasAttribute("data-optional") || done(el)) { continue; }
      if (el.type === "radio") {
        if (groups[el.name]) { continue; }
        groups[el.name] = true;
      }
      list.push(el);
    }
    return list;
  }
  function goTo(el) {
    var old = document.querySelector(".current-field");
    if (old) { old.classList.remove("current-field"); }
    el.classList.add("current-field");
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.focus({ preventScroll: true });
  }
  function setupNext() {
    var next = document.getElementById("next-field");
    if (!next) { return; }
    next.addEventListener("click", function () {
      var list = pendingFields();
      if (!list.length) {
        var finish = document.getElementById("finish");
        if (finish) { goTo(finish); }
        return;
      }
      var current = document.querySelector(".current-field");
      var at = current ? list.indexOf(current) : -1;
      goTo(list[(at + 1) % list.length]);
    });
  }

  // An embedded signing's outcome (see docs/web.md): framed, a postMessage to the parent,
  // addressed to each allowed origin (only the parent's own receives it); the top window
  // goes to the application's callback instead when the outcome ends the signing.
  function reportOutcome() {
    var block = document.getElementById("signflow-event");
    if (!block) { return; }
    var info = JSON.parse(block.textContent);
    if (window.parent !== window) {
      for (var i = 0; i < info.origins.length; i++) {
        window.parent.postMessage(info.message, info.origins[i]);
      }
    } else if (info.callback) {
      window.location.replace(info.callback);
    }
  }

  // An integration link's first page: open it at once (without script, by its button).
  function openIntegration() {
    var form = document.getElementById("open-form");
    if (form) { form.submit(); }
  }

  ready(function () {
    reportOutcome();
    openIntegration();
    placeFields();
    setupZoom();
    setupNext();
    var flash = document.getElementById("flash");
    if (flash && flash.classList.contains("notice-ok")) {
      var list = pendingFields();
      if (list.length) { list[0].classList.add("current-field"); list[0].scrollIntoView({ block: "center" }); }
    }
  });
})();
