/* Signflow signer pages: field placement, zoom, the page count, the guide (Start, Next,
   Finish), autosave and in-place actions (the sign dialog: adopt.js). Plain JavaScript, no
   build step; without it the pages still work (forms post, signatures are typed). */
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

  // Zoom: the pages' width as a multiple of the column. The point of the document under
  // the middle of the window stays there, and the pictures are asked at the size shown.
  var zoomLevels = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
  var zoomIndex = 2;
  function fitPictures() {
    var images = document.querySelectorAll(".page img[srcset]");
    for (var i = 0; i < images.length; i++) {
      var width = Math.round(images[i].getBoundingClientRect().width);
      if (width > 0) { images[i].sizes = width + "px"; }
    }
  }
  function setupZoom() {
    var pages = document.getElementById("pages");
    var out = document.getElementById("zoom-level");
    if (!pages || !out) { return; }
    function show() {
      pages.style.setProperty("--zoom", String(zoomLevels[zoomIndex]));
      out.textContent = out.dataset.template.replace("%", String(Math.round(zoomLevels[zoomIndex] * 100))).replace("%%", "%");
      fitPictures();
    }
    function anchor() {
      var middle = window.innerHeight / 2;
      var all = pages.querySelectorAll(".page");
      for (var i = 0; i < all.length; i++) {
        var r = all[i].getBoundingClientRect();
        if (r.bottom >= middle || i === all.length - 1) {
          return { page: all[i], y: (middle - r.top) / r.height, x: (pages.scrollLeft + pages.clientWidth / 2) / pages.scrollWidth };
        }
      }
      return null;
    }
    function apply(to) {
      var place = anchor();
      zoomIndex = to;
      show();
      if (!place) { return; }
      var r = place.page.getBoundingClientRect();
      window.scrollBy(0, r.top + place.y * r.height - window.innerHeight / 2);
      pages.scrollLeft = place.x * pages.scrollWidth - pages.clientWidth / 2;
    }
    document.getElementById("zoom-in").addEventListener("click", function () {
      if (zoomIndex < zoomLevels.length - 1) { apply(zoomIndex + 1); }
    });
    document.getElementById("zoom-out").addEventListener("click", function () {
      if (zoomIndex > 0) { apply(zoomIndex - 1); }
    });
    show();
  }

  // "Page 2 of 5": the page that fills most of the screen, across every document.
  var pageObserver = null;
  function setupPageCount() {
    var out = document.getElementById("page-count");
    var pages = document.querySelectorAll("#pages .page");
    if (!out || !pages.length || !("IntersectionObserver" in window)) { return; }
    if (pageObserver) { pageObserver.disconnect(); }  // a page updated in place observes anew
    var seen = {};
    var observer = pageObserver = new IntersectionObserver(function (entries) {
      for (var i = 0; i < entries.length; i++) {
        seen[entries[i].target.dataset.index] = entries[i].intersectionRatio;
      }
      var best = 0, ratio = -1;
      for (var key in seen) { if (seen[key] > ratio) { ratio = seen[key]; best = Number(key); } }
      out.textContent = out.dataset.template.replace("{page}", String(best + 1));
    }, { threshold: [0, 0.25, 0.5, 0.75, 1] });
    for (var i = 0; i < pages.length; i++) {
      pages[i].dataset.index = String(i);
      observer.observe(pages[i]);
    }
  }

  // The guide: Start, each field still needed (the server marks them, by the same rule as
  // finishing), then Finish. "Next" goes to the first pending field at or after the one
  // highlighted, and to the following one once the signer has been taken there.
  function done(el) {
    if (el.tagName === "BUTTON") { return false; }
    if (el.tagName === "SELECT") { return !!el.value; }
    if (el.tagName !== "INPUT") { return false; }
    if (el.type === "checkbox") { return el.checked; }
    if (el.type === "radio") {
      // A radio group is done once one of its buttons is chosen.
      var group = document.getElementsByName(el.name);
      for (var g = 0; g < group.length; g++) { if (group[g].checked) { return true; } }
      return false;
    }
    return !!el.value.trim();
  }
  function pendingFields() {
    var all = document.querySelectorAll("#pages [data-need]");
    var list = [];
    var groups = {};
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (el.disabled || done(el)) { continue; }
      if (el.type === "radio") {
        if (groups[el.name]) { continue; }
        groups[el.name] = true;
      }
      list.push(el);
    }
    return list;
  }
  var guide = { current: null, visited: false };
  function mark(el) {
    var old = document.querySelectorAll(".current-field");
    for (var i = 0; i < old.length; i++) { old[i].classList.remove("current-field"); }
    el.classList.add("current-field");
    guide.current = el;
  }
  function goTo(el) {
    mark(el);
    guide.visited = true;
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.focus({ preventScroll: true });
    labelNext();
  }
  function highlight(el, scroll) {
    mark(el);
    guide.visited = false;
    if (scroll) { el.scrollIntoView({ block: "center" }); }
    labelNext();
  }
  function nextTarget(list) {
    var current = guide.current;
    if (!current || !document.body.contains(current)) { return list[0]; }
    if (!guide.visited && list.indexOf(current) >= 0) { return current; }
    for (var i = 0; i < list.length; i++) {
      if (list[i] !== current && (current.compareDocumentPosition(list[i]) & Node.DOCUMENT_POSITION_FOLLOWING)) {
        return list[i];
      }
    }
    return list[0];
  }
  function labelNext() {
    var next = document.getElementById("next-field");
    if (!next) { return; }
    var list = pendingFields();
    next.hidden = !list.length;
    next.textContent = guide.visited ? next.dataset.next : next.dataset.start;
  }
  function setupGuide() {
    var next = document.getElementById("next-field");
    if (!next) { return; }
    next.addEventListener("click", function () {
      var list = pendingFields();
      if (!list.length) {
        var finish = document.getElementById("finish");
        if (finish && !finish.disabled) { finish.focus(); }
        labelNext();
        return;
      }
      goTo(nextTarget(list));
    });
    labelNext();
  }
  function showGuide(state) {
    var todo = document.getElementById("todo-text");
    if (todo && state.todo) { todo.textContent = state.todo; }
    var finish = document.getElementById("finish");
    if (finish) { finish.disabled = !state.can_finish; }
    var hint = document.getElementById("guide-hint");
    if (hint && state.finish_hint) { hint.textContent = state.finish_hint; }
    labelNext();
  }

  // Autosave: each entry goes to the server as it changes (typing settles for a moment
  // first), one request after another, with its state beside the field and read out.
  var saveQueue = Promise.resolve();
  var saveTimers = {};
  function saveLabels() {
    var live = document.getElementById("save-status");
    return live ? live.dataset : null;
  }
  function saveState(el, state, text) {
    var shown = document.getElementById(el.id + "-state");
    if (shown) { shown.textContent = text; shown.dataset.state = state; }
    var labels = saveLabels();
    var live = document.getElementById("save-status");
    if (labels && live && state !== "saving") {
      live.textContent = labels.field.replace("%1", el.dataset.field).replace("%2", text);
    }
  }
  function saveValue(el) {
    if (el.type === "checkbox") { return el.checked ? "true" : "false"; }
    if (el.type === "radio") { return "true"; }
    return el.value;
  }
  function saveNow(el) {
    var form = document.getElementById("fill-form");
    var labels = saveLabels();
    if (!form || !labels || !document.body.contains(el)) { return Promise.resolve(); }
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("document_id", el.dataset.document);
    body.set("name", el.dataset.field);
    body.set("value", saveValue(el));
    saveState(el, "saving", labels.saving);
    return fetch("/web/package/field", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) {
          saveState(el, "saved", labels.saved);
          showGuide(data);
        } else {
          saveState(el, "refused", labels.refused.replace("%", data.message || String(response.status)));
        }
      });
    }).catch(function () {
      saveState(el, "refused", labels.refused.replace("%", labels.offline));
    });
  }
  function runSave(key) {
    var pending = saveTimers[key];
    if (!pending) { return saveQueue; }
    delete saveTimers[key];
    clearTimeout(pending.timer);
    saveQueue = saveQueue.then(function () { return saveNow(pending.el); });
    return saveQueue;
  }
  function scheduleSave(el, delay) {
    var key = el.dataset.document + ":" + el.dataset.field;
    if (saveTimers[key]) { clearTimeout(saveTimers[key].timer); }
    saveTimers[key] = { el: el, timer: setTimeout(function () { runSave(key); }, delay) };
  }
  function flushSaves() {
    Object.keys(saveTimers).forEach(runSave);
    return saveQueue;
  }
  function setupAutosave() {
    var form = document.getElementById("fill-form");
    if (!form || !saveLabels()) { return; }
    form.addEventListener("input", function (ev) {
      var el = ev.target;
      if (!el.dataset || !el.dataset.field || el.disabled) { return; }
      var typed = el.tagName === "INPUT" && (el.type === "text" || el.type === "date");
      scheduleSave(el, typed ? 700 : 0);
    });
    form.addEventListener("change", function (ev) {
      var el = ev.target;
      if (!el.dataset || !el.dataset.field || el.disabled) { return; }
      scheduleSave(el, 0);
    });
  }
  // Leaving the page with an entry not sent yet: send it anyway.
  window.addEventListener("pagehide", function () {
    var form = document.getElementById("fill-form");
    Object.keys(saveTimers).forEach(function (key) {
      var el = saveTimers[key].el;
      clearTimeout(saveTimers[key].timer);
      delete saveTimers[key];
      if (!form || !navigator.sendBeacon) { return; }
      var body = new URLSearchParams();
      body.set("csrf", form.elements.csrf.value);
      body.set("document_id", el.dataset.document);
      body.set("name", el.dataset.field);
      body.set("value", saveValue(el));
      navigator.sendBeacon("/web/package/field", body);
    });
  });

  // Forms marked data-inplace post with fetch and the page is updated in place from the
  // answer (the package page the server redirects to): no reload, and each page picture
  // whose URL did not change stays as it is, so only a page that changed is fetched.
  // Without script they post as ordinary forms.
  function swapPage(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("main");
    var main = document.getElementById("main");
    if (!fresh || !main) { return false; }
    var kept = {};
    var old = main.querySelectorAll(".page img[data-page-key]");
    for (var i = 0; i < old.length; i++) { kept[old[i].dataset.pageKey] = old[i]; }
    var incoming = fresh.querySelectorAll(".page img[data-page-key]");
    for (var j = 0; j < incoming.length; j++) {
      var before = kept[incoming[j].dataset.pageKey];
      if (!before) { continue; }
      if (before.getAttribute("src") !== incoming[j].getAttribute("src")) {
        // A page that changed: its new picture replaces the old one once loaded.
        before.setAttribute("srcset", incoming[j].getAttribute("srcset"));
        before.setAttribute("src", incoming[j].getAttribute("src"));
      }
      incoming[j].replaceWith(before);
    }
    var dialog = document.getElementById("sign-dialog");
    if (dialog && dialog.open) { dialog.close(); }
    document.title = doc.title;
    main.replaceWith(document.adoptNode(fresh));
    ["adopted-forms", "sign-dialog", "signflow-event"].forEach(function (id) {
      var now = document.getElementById(id);
      var next = doc.getElementById(id);
      if (now) { now.remove(); }
      if (next) { document.body.appendChild(document.adoptNode(next)); }
    });
    return true;
  }
  function afterSwap() {
    setupPage();
    reportOutcome();
    var flash = document.getElementById("flash");
    var list = pendingFields();
    if (flash && flash.classList.contains("notice-error")) {
      flash.tabIndex = -1;
      flash.focus();
    } else if (list.length) {
      goTo(list[0]);
    } else {
      var finish = document.getElementById("finish");
      if (finish && !finish.disabled) { finish.focus(); }
    }
  }
  function submitInPlace(form, submitter) {
    var body = new URLSearchParams(new FormData(form, submitter || undefined));
    var withId = form.dataset.inplaceWith;
    var extra = withId ? document.getElementById(withId) : null;
    if (extra) {
      // The page's entries travel with the action: the server keeps them first.
      new FormData(extra).forEach(function (value, name) {
        if (name !== "csrf" && typeof value === "string") { body.append(name, value); }
      });
      body.set("with_fields", "1");
    }
    var main = document.getElementById("main");
    if (main) { main.setAttribute("aria-busy", "true"); }
    return fetch(form.action, { method: "POST", credentials: "same-origin", body: body })
      .then(function (response) {
        var path = new URL(response.url).pathname;
        if (response.ok && path !== "/web/package") {
          window.location.assign(response.url);
          return;
        }
        return response.text().then(function (html) {
          if (swapPage(html)) { afterSwap(); } else { window.location.assign(response.url); }
        });
      }, function () {
        HTMLFormElement.prototype.submit.call(form);
      });
  }
  // One listener on the document, so that it runs after each form's own (the sign dialog
  // checks its input first and cancels the submit when empty) and serves forms that an
  // in-place update brings.
  var inPlaceReady = false;
  function setupInPlace() {
    if (inPlaceReady) { return; }
    inPlaceReady = true;
    document.addEventListener("submit", function (ev) {
      var form = ev.target;
      if (!form.matches || !form.matches("form[data-inplace]")) { return; }
      if (ev.defaultPrevented || !window.fetch || !window.DOMParser) { return; }
      ev.preventDefault();
      var submitter = ev.submitter;
      flushSaves().then(function () { return submitInPlace(form, submitter); });
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

  function setupPage() {
    placeFields();
    setupZoom();
    setupPageCount();
    setupGuide();
    // The sign dialog (adopt.js) binds to the dialog and the signature fields, which an
    // in-place update replaces.
    if (window.signflowSignDialog) { window.signflowSignDialog(); }
    setupAutosave();
    setupInPlace();
  }

  ready(function () {
    reportOutcome();
    openIntegration();
    setupPage();
    window.addEventListener("resize", fitPictures);
    // After an action, or when coming back: the first field still needed is highlighted,
    // and "Next" starts there.
    var list = pendingFields();
    var flash = document.getElementById("flash");
    if (list.length && document.getElementById("next-field")) {
      highlight(list[0], !!flash && flash.classList.contains("notice-ok"));
    }
  });
})();
