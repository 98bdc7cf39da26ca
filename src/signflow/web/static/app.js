/* Signflow signer pages: field placement, zoom, "next field", and the signature pad.
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

  // "Page 2 of 5": the page that fills most of the screen, across every document.
  function setupPageCount() {
    var out = document.getElementById("page-count");
    var pages = document.querySelectorAll("#pages .page");
    if (!out || !pages.length || !("IntersectionObserver" in window)) { return; }
    var seen = {};
    var observer = new IntersectionObserver(function (entries) {
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

  // The signature pad: draw with pointer events (mouse, touch, pen) or type a name.
  function setupSignPad() {
    var dialog = document.getElementById("sign-dialog");
    if (!dialog) { return; }
    var form = document.getElementById("sign-form");
    var canvas = document.getElementById("sign-canvas");
    var preview = document.getElementById("type-preview");
    var typed = document.getElementById("typed-name");
    var image = document.getElementById("sign-image");
    var error = document.getElementById("sign-error");
    var drawPanel = document.getElementById("draw-panel");
    var typePanel = document.getElementById("type-panel");
    var modeDraw = document.getElementById("mode-draw");
    var modeType = document.getElementById("mode-type");
    var ctx = canvas.getContext("2d");
    var inked = false;
    var drawing = false;
    var last = null;
    var opener = null;

    function clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      inked = false;
    }
    function point(ev) {
      var r = canvas.getBoundingClientRect();
      return { x: (ev.clientX - r.left) * canvas.width / r.width, y: (ev.clientY - r.top) * canvas.height / r.height };
    }
    function pen(c) {
      c.lineWidth = 4;
      c.lineCap = "round";
      c.lineJoin = "round";
      c.strokeStyle = "#0a1f5c";
      c.fillStyle = "#0a1f5c";
    }
    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault();
      canvas.setPointerCapture(ev.pointerId);
      drawing = true;
      last = point(ev);
      pen(ctx);
      ctx.beginPath();
      ctx.arc(last.x, last.y, 2, 0, Math.PI * 2);
      ctx.fill();
      inked = true;
      error.hidden = true;
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) { return; }
      ev.preventDefault();
      var events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [ev];
      if (!events.length) { events = [ev]; }
      pen(ctx);
      for (var i = 0; i < events.length; i++) {
        var p = point(events[i]);
        ctx.beginPath();
        ctx.moveTo(last.x, last.y);
        ctx.lineTo(p.x, p.y);
        ctx.stroke();
        last = p;
      }
    });
    function stop() { drawing = false; last = null; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    document.getElementById("sign-clear").addEventListener("click", clear);

    function renderTyped() {
      var c = preview.getContext("2d");
      c.clearRect(0, 0, preview.width, preview.height);
      var text = typed.value.trim();
      if (!text) { return false; }
      var size = 80;
      pen(c);
      do {
        c.font = "italic " + size + "px 'Brush Script MT', 'Segoe Script', cursive, serif";
        size -= 4;
      } while (c.measureText(text).width > preview.width - 40 && size > 20);
      c.textAlign = "center";
      c.textBaseline = "middle";
      c.fillText(text, preview.width / 2, preview.height / 2);
      return true;
    }
    typed.addEventListener("input", function () { renderTyped(); error.hidden = true; });

    function setMode() {
      var typing = modeType.checked;
      drawPanel.hidden = typing;
      typePanel.hidden = !typing;
      typed.disabled = !typing;
      if (typing) { renderTyped(); }
    }
    modeDraw.addEventListener("change", setMode);
    modeType.addEventListener("change", setMode);

    // A field whose signature asks for a code: the code input and "send the code".
    var codePanel = document.getElementById("code-panel");
    var codeInput = document.getElementById("sign-code");
    var codeStatus = document.getElementById("code-status");
    var sendCode = document.getElementById("sign-send-code");
    function setCode(channel) {
      codePanel.hidden = !channel;
      codeInput.disabled = !channel;
      codeInput.required = !!channel;
      codeInput.value = "";
      codeStatus.textContent = "";
      document.getElementById("code-help-email").hidden = channel !== "email";
      document.getElementById("code-help-sms").hidden = channel !== "sms";
    }
    sendCode.addEventListener("click", function () {
      var label = sendCode.textContent;
      var body = new URLSearchParams();
      body.set("csrf", form.elements.csrf.value);
      body.set("document_id", document.getElementById("sign-document").value);
      body.set("field_name", document.getElementById("sign-field").value);
      sendCode.disabled = true;
      codeStatus.textContent = dialog.dataset.sending;
      fetch("/web/package/sign-code", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        body: body
      }).then(function (response) {
        return response.json().then(function (data) { return data.message || ""; });
      }).then(function (message) {
        codeStatus.textContent = message;
      }, function () {
        codeStatus.textContent = "";
      }).then(function () {
        sendCode.disabled = false;
        sendCode.textContent = dialog.dataset.again || label;
        codeInput.focus();
      });
    });

    function open(button) {
      opener = button;
      setCode(button.dataset.code || "");
      var initials = button.dataset.initials === "true";
      document.getElementById("sign-title").textContent =
        initials ? dialog.dataset.titleInitials : dialog.dataset.titleSignature;
      document.getElementById("sign-for").textContent = dialog.dataset.for.replace("%", button.dataset.field);
      document.getElementById("sign-document").value = button.dataset.document;
      document.getElementById("sign-field").value = button.dataset.field;
      error.hidden = true;
      clear();
      setMode();
      dialog.showModal();
    }
    var buttons = document.querySelectorAll("button.field-sign");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (ev) { open(ev.currentTarget); });
    }
    document.getElementById("sign-cancel").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { if (opener) { opener.focus(); } });

    form.addEventListener("submit", function (ev) {
      var ok;
      if (modeType.checked) {
        ok = renderTyped();
        if (ok) { image.value = preview.toDataURL("image/png"); }
      } else {
        ok = inked;
        if (ok) { image.value = canvas.toDataURL("image/png"); }
      }
      if (!ok) {
        ev.preventDefault();
        error.hidden = false;
        return;
      }
      var apply = document.getElementById("sign-apply");
      apply.disabled = true;
      apply.textContent = dialog.dataset.working;
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
    setupPageCount();
    setupNext();
    setupSignPad();
    var flash = document.getElementById("flash");
    if (flash && flash.classList.contains("notice-ok")) {
      var list = pendingFields();
      if (list.length) { list[0].classList.add("current-field"); list[0].scrollIntoView({ block: "center" }); }
    }
  });
})();
