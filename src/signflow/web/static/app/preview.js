/* The preview's fields over the page images, from their box as percentages of the page
   (data-l, data-t, data-w, data-h), as the signer page places them. */
(function () {
  "use strict";
  document.querySelectorAll(".preview-page .field[data-l]").forEach(function (f) {
    f.style.left = f.dataset.l + "%";
    f.style.top = f.dataset.t + "%";
    f.style.width = f.dataset.w + "%";
    f.style.height = f.dataset.h + "%";
  });
})();
