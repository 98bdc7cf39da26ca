// The delivery log, updated in place by htmx: when the control that had the focus was
// replaced with the log, the focus goes to the log's heading rather than to nowhere.
"use strict";
document.addEventListener("htmx:afterSettle", () => {
  const active = document.activeElement;
  if (active === null || active === document.body || !active.isConnected) {
    const heading = document.getElementById("log-title");
    if (heading !== null) heading.focus();
  }
});
