/* The upload form: files dropped on the zone go into its <input type=file multiple>. */
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("files");
  var list = document.getElementById("chosen-files");
  if (!zone || !input || !list) { return; }

  function showChosen() {
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name;
      list.appendChild(item);
    });
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      showChosen();
    }
  });
  input.addEventListener("change", showChosen);
})();
