// Live show-if for questionnaire questions (e.g. DA7). Without JavaScript the
// server decides visibility when the section is saved, so this only adds speed.
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form) { return; }

  function values(name, unknownAs) {
    var chosen = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value !== "") {
        chosen.push(input.value === "unknown" && unknownAs[name] ? unknownAs[name] : input.value);
      }
    });
    return chosen;
  }

  function holds(cond, unknownAs) {
    var op = Object.keys(cond)[0], arg = cond[op];
    switch (op) {
      case "all": return arg.every(function (c) { return holds(c, unknownAs); });
      case "any": return arg.some(function (c) { return holds(c, unknownAs); });
      case "not": return !holds(arg, unknownAs);
      case "eq": return values(arg[0], unknownAs).indexOf(String(arg[1])) !== -1;
      case "ne": return values(arg[0], unknownAs).indexOf(String(arg[1])) === -1;
      case "in": return values(arg[0], unknownAs).some(function (v) { return arg[1].indexOf(v) !== -1; });
      case "not_in": return !values(arg[0], unknownAs).some(function (v) { return arg[1].indexOf(v) !== -1; });
      default: return true;  // unknown to this script: leave it to the server
    }
  }

  function update() {
    form.querySelectorAll("[data-show-if]").forEach(function (block) {
      var spec = JSON.parse(block.getAttribute("data-show-if"));
      block.hidden = !holds(spec.when, spec.unknown_as || {});
    });
  }

  form.addEventListener("change", update);
  update();
}());
