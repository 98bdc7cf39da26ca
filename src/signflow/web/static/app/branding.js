// The branding page's preview follows the form as the admin chooses, before saving:
// the colour, the display name and the logo file. Without script the preview shows
// what is saved (its stylesheet is rendered by the server).
(function () {
  "use strict";
  var form = document.getElementById("branding-form");
  var preview = document.getElementById("brand-preview");
  if (!form || !preview) return;
  var colour = document.getElementById("accent-color");
  var name = document.getElementById("display-name");
  var file = document.getElementById("logo");
  var remove = document.getElementById("remove-logo");
  var shownName = document.getElementById("preview-name");
  var logo = document.getElementById("preview-logo");
  var unsaved = document.getElementById("preview-unsaved");
  var objectUrl = null;

  // The signer pages' pressed shade: the colour mixed with a quarter black.
  function darker(hex) {
    var out = "#";
    for (var i = 1; i < 7; i += 2) {
      var channel = Math.round(parseInt(hex.slice(i, i + 2), 16) * 0.75);
      out += (channel < 16 ? "0" : "") + channel.toString(16);
    }
    return out;
  }

  function changed() { unsaved.hidden = false; }

  function showColour() {
    if (!/^#[0-9a-fA-F]{6}$/.test(colour.value)) return;
    preview.style.setProperty("--brand", colour.value);
    preview.style.setProperty("--brand-dark", darker(colour.value));
  }

  function showLogo() {
    if (objectUrl) { URL.revokeObjectURL(objectUrl); objectUrl = null; }
    var chosen = file.files && file.files[0];
    var source = logo.getAttribute("data-saved") || "";
    if (remove && remove.checked) source = "";
    if (chosen) source = objectUrl = URL.createObjectURL(chosen);
    if (source) { logo.src = source; logo.hidden = false; } else { logo.removeAttribute("src"); logo.hidden = true; }
  }

  colour.addEventListener("input", function () { showColour(); changed(); });
  name.addEventListener("input", function () {
    shownName.textContent = name.value.trim() || preview.getAttribute("data-default-name");
    changed();
  });
  file.addEventListener("change", function () { showLogo(); changed(); });
  if (remove) remove.addEventListener("change", function () { showLogo(); changed(); });

})();
