/* SigningHub's web app links name a package in the hash: /Web#/Viewer/{id}. */
(function () {
  "use strict";
  var match = /^#\/Viewer\/(\d+)(?:[/?].*)?$/i.exec(window.location.hash);
  if (match) {
    window.location.replace("/app/viewer/" + match[1]);
  }
})();
