/* Placing fields on the page images with interact.js (mouse, touch and pen alike).

   A chip of the palette dragged onto a page fills the "Add a field" form with the page
   and the box in PDF points, and posts it. A placed field dragged moves (kept inside
   its page); dragged by an edge or its corner it resizes; letting go fills the field's
   own form and posts it. A tap on a placed field opens its options (the inspector).
   The forms work without this script (the keyboard's way): positions are numbers in
   points there. PDF points count from the page's bottom left, the screen from its top
   left. */
(function () {
  "use strict";
  var SIZES = {
    signature: [180, 60], digital_signature: [180, 60], electronic_signature: [180, 60],
    in_person_signature: [180, 60], initials: [60, 40], checkbox: [18, 18], radio: [18, 18],
    text: [160, 24], date: [120, 24], name: [160, 24], email: [200, 24], company: [160, 24],
    jobtitle: [160, 24], dropdown: [160, 24], listbox: [160, 72]
  };
  var MIN_SIDE = 8;
  var CHOICE_KINDS = ["dropdown", "listbox"];
  var addForm = document.getElementById("add-field");
  var pages = Array.prototype.slice.call(document.querySelectorAll(".prepare-page"));
  if (!addForm || !pages.length || typeof window.interact !== "function") { return; }
  var interact = window.interact;

  /* The choices and radio group for new fields stay from one drop to the next (each
     drop reloads the page): several buttons dropped in a row make one group. */
  var KEPT = ["choices", "radio_group_name"];
  var keptKey = "signflow.new-field." + window.location.pathname;
  try {
    var kept = JSON.parse(window.sessionStorage.getItem(keptKey) || "{}");
    KEPT.forEach(function (name) {
      var input = addForm.elements[name];
      if (input && kept[name]) {
        input.value = kept[name];
        input.closest("details").open = true;
      }
    });
  } catch (ignored) { /* no storage (private mode): the fields start empty */ }
  addForm.addEventListener("submit", function () {
    var values = {};
    KEPT.forEach(function (name) {
      if (addForm.elements[name]) { values[name] = addForm.elements[name].value; }
    });
    try { window.sessionStorage.setItem(keptKey, JSON.stringify(values)); } catch (ignored) { /* as above */ }
  });

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

  /* A box in screen pixels inside `page` as PDF points, kept within the page. */
  function toPoints(page, left, top, width, height) {
    var r = page.getBoundingClientRect();
    var pageWidth = parseFloat(page.dataset.width), pageHeight = parseFloat(page.dataset.height);
    var scale = pageWidth / r.width;
    var w = Math.min(width * scale, pageWidth), h = Math.min(height * scale, pageHeight);
    var x = clamp(left * scale, 0, pageWidth - w);
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

  function pixelSize(page, kind) {
    var size = SIZES[kind] || [160, 24];
    var scale = page.getBoundingClientRect().width / parseFloat(page.dataset.width);
    return [size[0] * scale, size[1] * scale];
  }

  /* The palette: a chip dragged onto a page adds its kind there; a tap (or Enter) only
     chooses the kind in the "Add a field" form. */
  var ghost = null;
  function follow(event) {
    var page = pageAt(event.client.x, event.client.y);
    var px = page ? pixelSize(page, ghost.dataset.kind) : SIZES[ghost.dataset.kind] || [160, 24];
    ghost.style.width = px[0] + "px";
    ghost.style.height = px[1] + "px";
    ghost.style.left = (event.client.x - px[0] / 2 + window.scrollX) + "px";
    ghost.style.top = (event.client.y - px[1] / 2 + window.scrollY) + "px";
    pages.forEach(function (p) { p.classList.toggle("drop-target", p === page); });
  }
  interact(".chip").draggable({
    listeners: {
      start: function (event) {
        var chip = event.target;
        ghost = document.createElement("div");
        ghost.className = "placed ghost kind-" + chip.dataset.kind;
        ghost.dataset.kind = chip.dataset.kind;
        ghost.textContent = chip.textContent;
        document.body.appendChild(ghost);
        follow(event);
      },
      move: follow,
      end: function (event) {
        var kind = ghost.dataset.kind;
        ghost.remove();
        ghost = null;
        pages.forEach(function (p) { p.classList.remove("drop-target"); });
        var page = pageAt(event.client.x, event.client.y);
        if (!page) { return; }
        var choices = addForm.elements.choices;
        if (CHOICE_KINDS.indexOf(kind) >= 0 && choices && !choices.value.trim()) {
          /* A dropdown or list box needs its choices first. */
          choices.closest("details").open = true;
          /* After the pointer's own events, which may move the focus back to the chip. */
          window.setTimeout(function () { choices.focus(); }, 0);
          return;
        }
        var r = page.getBoundingClientRect();
        var px = pixelSize(page, kind);
        var points = toPoints(page, event.client.x - r.left - px[0] / 2,
          event.client.y - r.top - px[1] / 2, px[0], px[1]);
        addForm.elements.kind.value = kind;
        addForm.elements.document_id.value = page.dataset.document;
        addForm.elements.page_no.value = page.dataset.page;
        fill(addForm, points);
        submit(addForm);
      }
    }
  }).on("tap", function (event) {
    addForm.elements.kind.value = event.currentTarget.dataset.kind;
    addForm.elements.kind.focus();
  });

  /* Placed fields: move, resize from any edge or corner, both kept within the page. */
  function formOf(box) { return document.getElementById(box.dataset.form); }
  /* `moved`: only the place changed; the size in points stays as it is (whole screen
     pixels would round it). */
  function save(box, moved) {
    var form = formOf(box);
    if (!form) { return; }
    var points = toPoints(box.parentElement, box.offsetLeft, box.offsetTop,
      box.offsetWidth, box.offsetHeight);
    var width = parseFloat(form.elements.width.value), height = parseFloat(form.elements.height.value);
    if (moved && width > 0 && height > 0) {
      var page = box.parentElement;
      var scale = parseFloat(page.dataset.width) / page.getBoundingClientRect().width;
      var pageHeight = parseFloat(page.dataset.height);
      var yTop = clamp(box.offsetTop * scale, 0, pageHeight - height);
      points = {
        x: clamp(box.offsetLeft * scale, 0, parseFloat(page.dataset.width) - width),
        y: pageHeight - yTop - height, width: width, height: height
      };
    }
    fill(form, points);
    submit(form);
  }
  function select(box) {
    document.querySelectorAll(".placed.selected").forEach(function (other) {
      other.classList.remove("selected");
    });
    box.classList.add("selected");
    var form = formOf(box);
    var details = form && form.closest("details");
    if (!details) { return; }
    details.open = true;
    details.scrollIntoView({ block: "nearest" });
  }
  var within = interact.modifiers.restrictRect({ restriction: "parent" });
  function bind(selector, edges, extra) {
    interact(selector)
      .draggable({
        modifiers: [within],
        listeners: {
          start: function (event) { event.target.classList.add("moving"); },
          move: function (event) {
            var box = event.target;
            box.style.left = (box.offsetLeft + event.dx) + "px";
            box.style.top = (box.offsetTop + event.dy) + "px";
          },
          end: function (event) {
            event.target.classList.remove("moving");
            save(event.target, true);
          }
        }
      })
      .resizable({
        edges: edges,
        margin: 6,
        modifiers: extra.concat([
          interact.modifiers.restrictEdges({ outer: "parent" }),
          interact.modifiers.restrictSize({ min: { width: MIN_SIDE, height: MIN_SIDE } })
        ]),
        listeners: {
          start: function (event) { event.target.classList.add("moving"); },
          move: function (event) {
            var box = event.target;
            box.style.left = (box.offsetLeft + event.deltaRect.left) + "px";
            box.style.top = (box.offsetTop + event.deltaRect.top) + "px";
            box.style.width = event.rect.width + "px";
            box.style.height = event.rect.height + "px";
          },
          end: function (event) {
            event.target.classList.remove("moving");
            save(event.target);
          }
        }
      })
      .on("tap", function (event) { select(event.currentTarget); });
  }
  var TOGGLES = ".placed[data-form].kind-checkbox, .placed[data-form].kind-radio";
  /* Most fields resize from any edge or corner. */
  bind(".placed[data-form]:not(.kind-checkbox):not(.kind-radio)",
    { left: true, right: true, top: true, bottom: true }, []);
  /* A checkbox or radio button is small and stays square (as the core keeps it): it
     resizes from its corner handle only, so the rest of it still moves it. */
  bind(TOGGLES, { right: ".resize-handle", bottom: ".resize-handle" },
    [interact.modifiers.aspectRatio({ ratio: 1 })]);

  /* The keyboard: arrows move by a hundredth of the page, Shift and arrows resize,
     Enter saves what changed (or, unchanged, opens the field's options). */
  var STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  document.querySelectorAll(".placed[data-form]").forEach(function (box) {
    box.addEventListener("keydown", function (event) {
      var page = box.parentElement;
      var step = STEPS[event.key];
      if (step) {
        event.preventDefault();
        var dx = step[0] * page.clientWidth / 100, dy = step[1] * page.clientHeight / 100;
        if (event.shiftKey) {
          box.dataset.resized = "true";
          box.style.width = clamp(box.offsetWidth + dx, MIN_SIDE, page.clientWidth - box.offsetLeft) + "px";
          box.style.height = clamp(box.offsetHeight + dy, MIN_SIDE, page.clientHeight - box.offsetTop) + "px";
        } else {
          box.style.left = clamp(box.offsetLeft + dx, 0, page.clientWidth - box.offsetWidth) + "px";
          box.style.top = clamp(box.offsetTop + dy, 0, page.clientHeight - box.offsetHeight) + "px";
        }
        box.dataset.changed = "true";
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (box.dataset.changed) { save(box, !box.dataset.resized); } else { select(box); }
      }
    });
  });

  var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target && target.classList.contains("placed")) {
    target.classList.add("just-placed", "selected");
  }
})();
