/* Placing fields on the page images with pointer events (mouse, touch, pen).

   A chip of the palette dragged onto a page fills the "Add a field" form with the page
   and the box in PDF points, and posts it. A placed field dragged moves, its corner
   handle resizes it; letting go fills the field's own form and posts it. The forms work
   without this script (the keyboard's way): positions are numbers in points there.
   PDF points count from the page's bottom left, the screen from its top left. */
(function () {
  "use strict";
  var SIZES = {
    digital_signature: [180, 60], initials: [60, 40], checkbox: [18, 18],
    text: [160, 24], date: [120, 24], name: [160, 24], email: [200, 24]
  };
  var addForm = document.getElementById("add-field");
  var pages = Array.prototype.slice.call(document.querySelectorAll(".prepare-page"));
  if (!addForm || !pages.length) { return; }

  function place(box) {
    box.style.left = box.dataset.l + "%";
    box.style.top = box.dataset.t + "%";
    box.style.width = box.dataset.w + "%";
    box.style.height = box.dataset.h + "%";
  }
  document.querySelectorAll(".placed").forEach(place);

  function pageAt(x, y) {
    for (var i = 0; i < pages.length; i += 1) {
      var r = pages[i].getBoundingClientRect();
      if (x >= r.left && x <= r.right && y >= r.top && y <= r.bottom) { return pages[i]; }
    }
    return null;
  }

  function clamp(value, low, high) { return Math.min(Math.max(value, low), high); }

  /* A box in screen pixels inside `page` as PDF points. */
  function toPoints(page, left, top, width, height) {
    var r = page.getBoundingClientRect();
    var scale = parseFloat(page.dataset.width) / r.width;
    var pageHeight = parseFloat(page.dataset.height);
    var w = width * scale, h = height * scale;
    var x = clamp(left * scale, 0, parseFloat(page.dataset.width) - w);
    var yTop = clamp(top * scale, 0, pageHeight - h);
    return { x: x, y: pageHeight - yTop - h, width: w, height: h };
  }

  function fill(form, points) {
    ["x", "y", "width", "height"].forEach(function (name) {
      form.elements[name].value = points[name].toFixed(1);
    });
  }

  function submit(form) {
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  /* Dragging a chip of the palette onto a page. */
  document.querySelectorAll(".chip").forEach(function (chip) {
    chip.addEventListener("click", function () {
      addForm.elements.kind.value = chip.dataset.kind;
      addForm.elements.kind.focus();
    });
    chip.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      event.preventDefault();
      var kind = chip.dataset.kind;
      var ghost = document.createElement("div");
      ghost.className = "placed ghost kind-" + kind;
      ghost.textContent = chip.textContent;
      document.body.appendChild(ghost);
      var size = SIZES[kind] || [160, 24];
      var moved = false;
      function pixelSize(page) {
        var r = page.getBoundingClientRect();
        var scale = r.width / parseFloat(page.dataset.width);
        return [size[0] * scale, size[1] * scale];
      }
      function follow(e) {
        moved = true;
        var page = pageAt(e.clientX, e.clientY);
        var px = page ? pixelSize(page) : [size[0], size[1]];
        ghost.style.width = px[0] + "px";
        ghost.style.height = px[1] + "px";
        ghost.style.left = (e.clientX - px[0] / 2 + window.scrollX) + "px";
        ghost.style.top = (e.clientY - px[1] / 2 + window.scrollY) + "px";
      }
      function drop(e) {
        document.removeEventListener("pointermove", follow);
        document.removeEventListener("pointerup", drop);
        ghost.remove();
        var page = moved ? pageAt(e.clientX, e.clientY) : null;
        if (!page) { return; }
        var r = page.getBoundingClientRect();
        var px = pixelSize(page);
        var points = toPoints(page, e.clientX - r.left - px[0] / 2, e.clientY - r.top - px[1] / 2, px[0], px[1]);
        addForm.elements.kind.value = kind;
        addForm.elements.document_id.value = page.dataset.document;
        addForm.elements.page_no.value = page.dataset.page;
        fill(addForm, points);
        submit(addForm);
      }
      follow(event);
      moved = false;
      document.addEventListener("pointermove", follow);
      document.addEventListener("pointerup", drop);
    });
  });

  /* Moving or resizing a placed field. */
  document.querySelectorAll(".placed[data-form]").forEach(function (box) {
    var form = document.getElementById(box.dataset.form);
    if (!form) { return; }
    box.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      event.preventDefault();
      var page = box.parentElement;
      var resizing = event.target.classList.contains("resize-handle");
      var start = { x: event.clientX, y: event.clientY, left: box.offsetLeft, top: box.offsetTop,
        width: box.offsetWidth, height: box.offsetHeight };
      var moved = false;
      box.setPointerCapture(event.pointerId);
      box.classList.add("moving");
      function follow(e) {
        var dx = e.clientX - start.x, dy = e.clientY - start.y;
        if (Math.abs(dx) + Math.abs(dy) > 2) { moved = true; }
        if (resizing) {
          box.style.width = Math.max(8, start.width + dx) + "px";
          box.style.height = Math.max(8, start.height + dy) + "px";
        } else {
          box.style.left = clamp(start.left + dx, 0, page.clientWidth - start.width) + "px";
          box.style.top = clamp(start.top + dy, 0, page.clientHeight - start.height) + "px";
        }
      }
      function release() {
        box.removeEventListener("pointermove", follow);
        box.removeEventListener("pointerup", release);
        box.removeEventListener("pointercancel", release);
        box.classList.remove("moving");
        if (!moved) { return; }
        fill(form, toPoints(page, box.offsetLeft, box.offsetTop, box.offsetWidth, box.offsetHeight));
        submit(form);
      }
      box.addEventListener("pointermove", follow);
      box.addEventListener("pointerup", release);
      box.addEventListener("pointercancel", release);
    });
    /* The keyboard: arrows move by a hundredth of the page, Shift and arrows resize,
       Enter saves. */
    var STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    box.addEventListener("keydown", function (event) {
      var page = box.parentElement;
      var step = STEPS[event.key];
      if (step) {
        event.preventDefault();
        var dx = step[0] * page.clientWidth / 100, dy = step[1] * page.clientHeight / 100;
        if (event.shiftKey) {
          box.style.width = Math.max(8, box.offsetWidth + dx) + "px";
          box.style.height = Math.max(8, box.offsetHeight + dy) + "px";
        } else {
          box.style.left = clamp(box.offsetLeft + dx, 0, page.clientWidth - box.offsetWidth) + "px";
          box.style.top = clamp(box.offsetTop + dy, 0, page.clientHeight - box.offsetHeight) + "px";
        }
        box.dataset.changed = "true";
      } else if (event.key === "Enter" && box.dataset.changed) {
        event.preventDefault();
        fill(form, toPoints(page, box.offsetLeft, box.offsetTop, box.offsetWidth, box.offsetHeight));
        submit(form);
      }
    });
  });

  var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target && target.classList.contains("placed")) { target.classList.add("just-placed"); }
})();
