// The criteria rule builder (templates/criteria/_rule_builder.html). The server checks every
// rule and writes its sentence and YAML, so this script only gathers the author's choices;
// without JavaScript the builder stays hidden and the rules box is the whole editor.
(function () {
  "use strict";
  var root = document.getElementById("rule-builder");
  var island = document.getElementById("rule-builder-catalogue");
  var draft = document.getElementById("id_text");
  if (!root || !island || !draft) { return; }

  var catalogue = JSON.parse(island.textContent);
  var form = document.getElementById("rule-builder-form");
  var clauses = document.getElementById("rb-clauses");
  var sentence = document.getElementById("rb-sentence");
  var problemsHeading = document.getElementById("rb-problems-heading");
  var problemsList = document.getElementById("rb-problems");
  var status = document.getElementById("rb-status");
  var yamlBox = document.getElementById("rb-yaml");
  var checkUrl = root.getAttribute("data-check-url");
  var token = form.querySelector('[name="csrfmiddlewaretoken"]').value;
  var questions = {};
  var serial = 0;      // clause ids stay unique after removals
  var latest = 0;      // only the newest answer is shown
  var timer = null;
  var touched = false;

  catalogue.questions.forEach(function (q) { questions[q.id] = q; });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function checked(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function phase() { return Number(checked("rb-phase")); }

  // ------------------------------------------------------------------ one condition

  function typeOf(value) {
    if (value.indexOf("tier:") === 0) { return "tier"; }
    return questions[value] ? questions[value].type : "";
  }

  function fillQuestions(select) {
    var keep = select.value;
    select.textContent = "";
    select.appendChild(el("option", {value: ""}, "Choose a question"));
    var custodianGroup = phase() === 1 ? "This custodian's answers" : "Any custodian's answers";
    [["project", "The project's answers"], ["custodian", custodianGroup]].forEach(function (pair) {
      var group = el("optgroup", {label: pair[1]});
      catalogue.questions.forEach(function (q) {
        if (q.scope === pair[0]) { group.appendChild(el("option", {value: q.id}, q.id + ": " + q.label)); }
      });
      select.appendChild(group);
    });
    if (phase() === 3) {
      var tiers = el("optgroup", {label: "Tiers so far"});
      catalogue.safes.forEach(function (s) {
        tiers.appendChild(el("option", {value: "tier:" + s.id}, s.label + " tier"));
      });
      tiers.appendChild(el("option", {value: "tier:overall"}, "Overall tier (the highest safe's)"));
      select.appendChild(tiers);
    }
    select.value = keep;
    if (select.value !== keep) { select.value = ""; }
  }

  function fillComparisons(clause) {
    var select = clause.querySelector(".rb-op");
    var keep = select.value;
    var type = typeOf(clause.querySelector(".rb-question").value);
    select.textContent = "";
    if (!type) {
      select.appendChild(el("option", {value: ""}, "Choose a question first"));
      select.disabled = true;
      return;
    }
    select.disabled = false;
    catalogue.comparisons[type].forEach(function (c) {
      select.appendChild(el("option", {value: c.op}, c.label));
    });
    select.value = keep;
    if (select.value !== keep) { select.selectedIndex = 0; }
  }

  function valueKind(clause) {
    var type = typeOf(clause.querySelector(".rb-question").value);
    var op = clause.querySelector(".rb-op").value;
    var found = (catalogue.comparisons[type] || []).filter(function (c) { return c.op === op; })[0];
    return found ? found.value : "";
  }

  function fillValue(clause) {
    var box = clause.querySelector(".rb-value");
    var kind = valueKind(clause);
    var qid = clause.querySelector(".rb-question").value;
    var key = kind + " " + qid;
    if (box.getAttribute("data-for") === key) { return; }
    box.setAttribute("data-for", key);
    box.textContent = "";
    var id = clause.id + "-value";
    var q = questions[qid];
    if (kind === "one" || kind === "tier") {
      box.appendChild(el("label", {"for": id, "class": "form-label"}, "Value"));
      var select = el("select", {id: id, "class": "form-select rb-input", "data-kind": "one"});
      select.appendChild(el("option", {value: ""}, "Choose a value"));
      if (kind === "tier") {
        catalogue.tiers.forEach(function (t) {
          if (t.level > 0) { select.appendChild(el("option", {value: JSON.stringify(t.level)}, t.level + " (" + t.name + ")")); }
        });
      } else {
        q.options.forEach(function (o) {
          select.appendChild(el("option", {value: JSON.stringify(o.value)}, o.label));
        });
      }
      box.appendChild(select);
    } else if (kind === "many") {
      var group = el("fieldset", {"data-kind": "many", "class": "rb-input"});
      group.appendChild(el("legend", {"class": "fs-6"}, "Values"));
      q.options.forEach(function (o, n) {
        var wrap = el("div", {"class": "form-check"});
        var optionId = id + "-" + n;
        wrap.appendChild(el("input", {type: "checkbox", id: optionId, "class": "form-check-input",
                                      value: JSON.stringify(o.value)}));
        wrap.appendChild(el("label", {"for": optionId, "class": "form-check-label"}, o.label));
        group.appendChild(wrap);
      });
      box.appendChild(group);
    } else if (kind === "number") {
      box.appendChild(el("label", {"for": id, "class": "form-label"}, "Value (a whole number)"));
      var attrs = {id: id, type: "number", step: "1", inputmode: "numeric", "class": "form-control rb-input",
                   "data-kind": "number"};
      if (q.min !== null) { attrs.min = String(q.min); }
      if (q.max !== null) { attrs.max = String(q.max); }
      box.appendChild(el("input", attrs));
    }
  }

  function readValue(clause) {
    var input = clause.querySelector(".rb-input");
    if (!input) { return null; }
    var kind = input.getAttribute("data-kind");
    if (kind === "one") { return input.value === "" ? null : JSON.parse(input.value); }
    if (kind === "many") {
      var values = [];
      input.querySelectorAll("input:checked").forEach(function (box) { values.push(JSON.parse(box.value)); });
      return values;
    }
    var text = input.value.trim();
    // Anything but a whole number goes as typed, for the server to name the wrong value type.
    return text === "" ? null : (/^-?\d+$/.test(text) ? parseInt(text, 10) : text);
  }

  function renumber() {
    var all = clauses.querySelectorAll(".rb-clause");
    all.forEach(function (clause, n) {
      clause.querySelector("legend").textContent = "Condition " + (n + 1);
      var remove = clause.querySelector(".rb-remove");
      remove.textContent = "Remove condition " + (n + 1);
      remove.hidden = all.length === 1;
    });
  }

  function addClause() {
    serial += 1;
    var clause = el("fieldset", {id: "rb-clause-" + serial, "class": "rb-clause border rounded p-2 mb-2"});
    clause.appendChild(el("legend", {"class": "fs-6 float-none w-auto px-1"}));
    var row = el("div", {"class": "row g-2 align-items-end"});
    var qCol = el("div", {"class": "col-md-5"});
    qCol.appendChild(el("label", {"for": clause.id + "-question", "class": "form-label"}, "Question"));
    var question = el("select", {id: clause.id + "-question", "class": "form-select rb-question"});
    qCol.appendChild(question);
    var opCol = el("div", {"class": "col-md-3"});
    opCol.appendChild(el("label", {"for": clause.id + "-op", "class": "form-label"}, "Comparison"));
    opCol.appendChild(el("select", {id: clause.id + "-op", "class": "form-select rb-op"}));
    var valueCol = el("div", {"class": "col-md-4 rb-value"});
    row.appendChild(qCol);
    row.appendChild(opCol);
    row.appendChild(valueCol);
    clause.appendChild(row);
    var remove = el("button", {type: "button", "class": "btn btn-link btn-sm rb-remove"});
    clause.appendChild(remove);
    clauses.appendChild(clause);
    fillQuestions(question);
    fillComparisons(clause);
    renumber();
    return clause;
  }

  // ------------------------------------------------------------------ the rule

  function showRaise() {
    document.getElementById("rb-raise").hidden = checked("rb-effect") !== "raise";
  }

  function effect() {
    var kind = checked("rb-effect");
    if (kind === "raise") {
      return {raise: document.getElementById("rb-raise-safe").value,
              to: Number(document.getElementById("rb-raise-to").value)};
    }
    if (kind === "gap") { return {gap: true}; }
    if (kind === "blocking") { return {gap: "blocking"}; }
    return kind;  // refer, block
  }

  function value(id) { return document.getElementById(id).value.trim(); }

  function rule() {
    var built = [];
    clauses.querySelectorAll(".rb-clause").forEach(function (clause) {
      built.push({question: clause.querySelector(".rb-question").value,
                  op: clause.querySelector(".rb-op").value, value: readValue(clause)});
    });
    return {
      id: value("rb-id"), phase: phase(), combine: checked("rb-combine"), clauses: built, effect: effect(),
      justification: value("rb-justification"),
      source: {id: value("rb-source-id"), title: value("rb-source-title"), url: value("rb-source-url")},
      draft: draft.value
    };
  }

  function show(answer) {
    sentence.textContent = answer.sentence || "Not yet a rule: finish the conditions.";
    yamlBox.textContent = answer.yaml;
    problemsList.textContent = "";
    answer.problems.forEach(function (p) { problemsList.appendChild(el("li", {}, p.text)); });
    problemsHeading.hidden = answer.problems.length === 0;
    problemsHeading.textContent = answer.problems.length === 1 ? "1 problem" : answer.problems.length + " problems";
  }

  function check() {
    clearTimeout(timer);
    latest += 1;
    var mine = latest;
    var built = rule();
    return fetch(checkUrl, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
      body: JSON.stringify(built)
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (answer) {
      if (mine === latest) { show(answer); }
      return {built: built, answer: answer, current: mine === latest};
    }).catch(function () {
      if (mine === latest) {
        status.textContent = "The rule could not be checked just now (are you still signed in?). Try again.";
      }
      return null;
    });
  }

  function later() {
    touched = true;
    status.textContent = "";
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  function add() {
    check().then(function (result) {
      if (!result || !result.current) { return; }
      if (result.answer.problems.length) {
        status.textContent = "Not added: fix the problems listed first.";
        problemsHeading.focus();
        return;
      }
      var text = draft.value;
      if (text.trim() === "") {
        text = "";
      } else if (text.slice(-1) !== "\n") {
        text += "\n";
      }
      draft.value = text + result.answer.yaml;
      status.textContent = "Rule " + result.built.id + " added at the end of the rules box. Save the draft to keep it.";
    });
  }

  // ------------------------------------------------------------------ wiring

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "rb-effect") { showRaise(); }
    if (target.name === "rb-phase") {
      clauses.querySelectorAll(".rb-clause").forEach(function (clause) {
        fillQuestions(clause.querySelector(".rb-question"));
        fillComparisons(clause);
        fillValue(clause);
      });
    }
    var clause = target.closest(".rb-clause");
    if (clause && target.classList.contains("rb-question")) { fillComparisons(clause); }
    if (clause && (target.classList.contains("rb-question") || target.classList.contains("rb-op"))) {
      fillValue(clause);
    }
    later();
  });
  form.addEventListener("input", later);
  form.addEventListener("click", function (event) {
    var remove = event.target.closest(".rb-remove");
    if (!remove) { return; }
    var clause = remove.closest(".rb-clause");
    var index = Array.prototype.indexOf.call(clauses.children, clause);
    clause.remove();
    renumber();
    var left = clauses.querySelectorAll(".rb-question");
    left[Math.min(index, left.length - 1)].focus();
    later();
    status.textContent = "Condition removed.";
  });
  document.getElementById("rb-add-clause").addEventListener("click", function () {
    addClause().querySelector(".rb-question").focus();
    later();
  });
  document.getElementById("rb-add").addEventListener("click", add);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    check();
  });
  // The rules box changes what clashes with the new rule's id.
  draft.addEventListener("input", function () { if (touched) { clearTimeout(timer); timer = setTimeout(check, 400); } });

  addClause();
  showRaise();
  root.hidden = false;
}());
