// After a save with problems, start keyboard and screen-reader users at the summary that lists
// them (each links to its field), as the page's own heading would otherwise come first.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
