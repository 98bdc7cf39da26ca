/* A recipient changed in place (htmx swaps only the recipients' list) keeps the fields'
   "For" choices in step: each option says the recipient's position and name as the new
   list has them. Without this script the forms are full-page posts and the page is new. */
(function () {
  "use strict";
  document.body.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("#recipients [data-position]").forEach(function (item) {
      var text = item.dataset.position + ". " + item.dataset.label;
      var selector = 'select[name="order"] option[value="' + item.dataset.position + '"]';
      document.querySelectorAll(selector).forEach(function (option) {
        option.textContent = text;
      });
    });
  });
})();
