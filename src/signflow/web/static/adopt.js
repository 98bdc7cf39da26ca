/* Signflow sign dialog (templates/_sign_dialog.html): adopt a signature and initials once
   (draw with pointer events, type in a handwriting style, or upload a PNG or JPEG), then
   each further field is one tap through its own small form (which needs no script).
   A signature request's dialog keeps the one-off drawing or typing.
   The images are made as the signer changes them, so that submitting stays a plain form
   post (or the in-place post of forms marked data-inplace). */
(function () {
  "use strict";

  var MAX_UPLOAD = 1024 * 1024;
  var FAMILIES = {
    "dancing-script": "Signflow Dancing Script",
    "caveat": "Signflow Caveat",
    "great-vibes": "Signflow Great Vibes",
    "sacramento": "Signflow Sacramento"
  };
  var FALLBACK_FONT = "'Brush Script MT', 'Segoe Script', cursive, serif";
  var INK = "#0a1f5c";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  function byId(id) { return document.getElementById(id); }

  function pen(c) {
    c.lineWidth = 4;
    c.lineCap = "round";
    c.lineJoin = "round";
    c.strokeStyle = INK;
    c.fillStyle = INK;
  }

  // Text in a font, as large as fits the canvas, centred; false when there is no text.
  function renderText(canvas, text, family, italic) {
    var c = canvas.getContext("2d");
    c.clearRect(0, 0, canvas.width, canvas.height);
    text = text.trim();
    if (!text) { return false; }
    var size = Math.round(canvas.height * 0.5);
    var font = family ? "'" + family + "', " + FALLBACK_FONT : FALLBACK_FONT;
    pen(c);
    do {
      c.font = (italic ? "italic " : "") + size + "px " + font;
      size -= 4;
    } while (c.measureText(text).width > canvas.width - 40 && size > 16);
    c.textAlign = "center";
    c.textBaseline = "middle";
    c.fillText(text, canvas.width / 2, canvas.height / 2);
    return true;
  }

  function setup() {
    var dialog = byId("sign-dialog");
    if (!dialog) { return; }
    var adopting = dialog.hasAttribute("data-adopting");
    var form = byId("sign-form");
    var canvas = byId("sign-canvas");
    var preview = byId("type-preview");
    var typed = byId("typed-name");
    var image = byId("sign-image");
    var error = byId("sign-error");
    var apply = byId("sign-apply");
    var panels = { draw: byId("draw-panel"), type: byId("type-panel"), upload: byId("upload-panel") };
    var modes = { draw: byId("mode-draw"), type: byId("mode-type"), upload: byId("mode-upload") };
    var initialsInput = byId("adopt-initials");
    var initialsImage = byId("initials-image");
    var initialsCanvas = byId("initials-preview");
    var adoptFlag = byId("sign-adopt");
    var useAdopted = byId("sign-use-adopted");
    var adoptPanel = byId("adopt-panel");
    var adoptedPanel = byId("adopted-panel");
    var uploadInput = byId("upload-file");
    var uploadPreview = byId("upload-preview");
    var emptyText = error.textContent;
    var ctx = canvas.getContext("2d");
    var inked = false;
    var drawing = false;
    var last = null;
    var opener = null;
    var uploaded = "";

    function mode() {
      if (modes.upload && modes.upload.checked) { return "upload"; }
      return modes.type.checked ? "type" : "draw";
    }
    function style() {
      var chosen = form.querySelector("input[name=adopt_style]:checked");
      return chosen ? chosen.value : "";
    }
    function showError(text) {
      error.textContent = text || emptyText;
      error.hidden = false;
    }

    // The images the form sends, kept current as the signer changes them.
    function refresh() {
      if (!adopting) { return; }
      var how = mode();
      var family = FAMILIES[style()] || FAMILIES["dancing-script"];
      if (how === "type") {
        image.value = renderText(preview, typed.value, family, false) ? preview.toDataURL("image/png") : "";
      } else if (how === "draw") {
        image.value = inked ? canvas.toDataURL("image/png") : "";
      } else {
        image.value = uploaded;
      }
      var initialsFamily = how === "type" ? family : FAMILIES["dancing-script"];
      initialsImage.value = renderText(initialsCanvas, initialsInput.value, initialsFamily, false)
        ? initialsCanvas.toDataURL("image/png") : "";
    }

    // Drawing.
    function clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      inked = false;
      refresh();
    }
    function point(ev) {
      var r = canvas.getBoundingClientRect();
      return { x: (ev.clientX - r.left) * canvas.width / r.width, y: (ev.clientY - r.top) * canvas.height / r.height };
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
    function stop() {
      if (drawing) { refresh(); }
      drawing = false;
      last = null;
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    byId("sign-clear").addEventListener("click", clear);

    // Typing: every style shows the name; the chosen one makes the image.
    function samples() {
      var list = form.querySelectorAll(".style-sample");
      for (var i = 0; i < list.length; i++) { list[i].textContent = typed.value || "\u00a0"; }
    }
    typed.addEventListener("input", function () {
      samples();
      if (!adopting) { renderText(preview, typed.value, "", true); }
      refresh();
      error.hidden = true;
    });
    var styleInputs = form.querySelectorAll("input[name=adopt_style]");
    for (var s = 0; s < styleInputs.length; s++) { styleInputs[s].addEventListener("change", refresh); }
    if (initialsInput) { initialsInput.addEventListener("input", function () { refresh(); error.hidden = true; }); }
    // The fonts arrive after the page: the images are made again once they have.
    if (adopting && document.fonts && document.fonts.load) {
      var loads = [];
      for (var key in FAMILIES) {
        if (Object.prototype.hasOwnProperty.call(FAMILIES, key)) { loads.push(document.fonts.load("40px '" + FAMILIES[key] + "'")); }
      }
      Promise.all(loads).then(refresh, refresh);
    }

    // Uploading: read here, checked and re-encoded by the server.
    if (uploadInput) {
      uploadInput.addEventListener("change", function () {
        uploaded = "";
        uploadPreview.hidden = true;
        var file = uploadInput.files && uploadInput.files[0];
        if (!file) { refresh(); return; }
        if (file.size > MAX_UPLOAD || !/^image\/(png|jpeg)$/.test(file.type)) {
          showError(file.size > MAX_UPLOAD ? dialog.dataset.tooLarge : dialog.dataset.notImage);
          refresh();
          return;
        }
        var reader = new FileReader();
        reader.onload = function () {
          uploaded = String(reader.result);
          uploadPreview.src = uploaded;
          uploadPreview.hidden = false;
          error.hidden = true;
          refresh();
        };
        reader.readAsDataURL(file);
      });
    }

    function setMode() {
      var how = mode();
      for (var name in panels) {
        if (panels[name]) { panels[name].hidden = name !== how; }
      }
      typed.disabled = how !== "type";
      if (how === "type") {
        samples();
        if (!adopting) { renderText(preview, typed.value, "", true); }
      }
      refresh();
    }
    for (var m in modes) {
      if (modes[m]) { modes[m].addEventListener("change", setMode); }
    }

    // Adopted already: the dialog shows the marks (a field asking for a code opens it);
    // "Change" adopts new ones with this signature.
    function adoptNew(on) {
      if (!adoptFlag) { return; }
      adoptFlag.value = on ? "1" : "";
      useAdopted.value = on ? "" : "1";
      adoptPanel.hidden = !on;
      if (adoptedPanel) { adoptedPanel.hidden = on; }
      apply.textContent = on ? apply.dataset.adoptLabel : apply.dataset.signLabel;
    }
    var change = byId("adopt-change");
    if (change) {
      change.addEventListener("click", function () {
        adoptNew(true);
        setMode();
        modes.draw.focus();
      });
    }

    // A field whose signature asks for a code: the code input and "send the code".
    var codePanel = byId("code-panel");
    var codeInput = byId("sign-code");
    var codeStatus = byId("code-status");
    var sendCode = byId("sign-send-code");
    function setCode(channel) {
      codePanel.hidden = !channel;
      codeInput.disabled = !channel;
      codeInput.required = !!channel;
      codeInput.value = "";
      codeStatus.textContent = "";
      byId("code-help-email").hidden = channel !== "email";
      byId("code-help-sms").hidden = channel !== "sms";
    }
    sendCode.addEventListener("click", function () {
      var label = sendCode.textContent;
      var body = new URLSearchParams();
      body.set("csrf", form.elements.csrf.value);
      body.set("document_id", byId("sign-document").value);
      body.set("field_name", byId("sign-field").value);
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
      byId("sign-title").textContent = initials ? dialog.dataset.titleInitials : dialog.dataset.titleSignature;
      byId("sign-document").value = button.dataset.document;
      byId("sign-field").value = button.dataset.field;
      error.hidden = true;
      adoptNew(!dialog.hasAttribute("data-adopted"));
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      inked = false;
      setMode();
      dialog.showModal();
    }
    // Fields with a one-tap form submit it themselves; the others open the dialog.
    var buttons = document.querySelectorAll("button.field-sign:not([data-adopted])");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (ev) { open(ev.currentTarget); });
    }
    byId("sign-cancel").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { if (opener) { opener.focus(); } });

    form.addEventListener("submit", function (ev) {
      var ok = true;
      if (adopting && adoptFlag.value === "1") {
        refresh();
        ok = !!image.value && !!initialsImage.value;
      } else if (!adopting) {
        if (modes.type.checked) {
          ok = renderText(preview, typed.value, "", true);
          if (ok) { image.value = preview.toDataURL("image/png"); }
        } else {
          ok = inked;
          if (ok) { image.value = canvas.toDataURL("image/png"); }
        }
      }
      if (!ok) {
        ev.preventDefault();
        ev.stopImmediatePropagation();
        showError();
        return;
      }
      apply.disabled = true;
      apply.textContent = dialog.dataset.working;
    });
  }

  // app.js calls it again when an in-place update brings a new dialog and new fields.
  window.signflowSignDialog = setup;
  ready(setup);
})();
