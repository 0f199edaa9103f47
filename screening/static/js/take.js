/* A questionnaire page: count the answers as the student ticks, and show a conditional item
   (e.g. ASQ question 5) only when it applies. Without this script every item is shown, the
   count is the server's, and the server decides what applies. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-questionnaire]");
  if (!form) { return; }
  var counter = document.getElementById("answered");
  var items = Array.prototype.slice.call(form.querySelectorAll("fieldset.item"));

  function value(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var text = form.querySelector('textarea[name="' + name + '"]');
    return text && text.value.trim() !== "" ? text.value : null;
  }

  function compare(a, op, b) {
    if (op === "==") { return String(a) === String(b); }
    if (op === "!=") { return String(a) !== String(b); }
    var x = Number(a), y = Number(b);
    if (isNaN(x) || isNaN(y)) { return false; }
    return op === ">=" ? x >= y : op === ">" ? x > y : op === "<=" ? x <= y : op === "<" ? x < y : false;
  }

  function among(answer, wanted) {
    return answer !== null && wanted.some(function (w) { return String(w) === answer; });
  }

  function holds(test) {
    if (test.any) { return test.any.some(holds); }
    if (test.all) { return test.all.every(holds); }
    if (test.count) {
      var hits = test.count.filter(function (name) { return among(value(name), test.matching); });
      return compare(hits.length, test.op, test.value);
    }
    if (test.item) {
      var answer = value(test.item);
      if (answer === null) { return false; }
      if (test.op === "answered") { return true; }
      if (test.op === "in") { return among(answer, [].concat(test.value)); }
      return compare(answer, test.op, test.value);
    }
    return true; // a test the page cannot evaluate: show the item, the server decides
  }

  function update() {
    var shown = 0, answered = 0;
    items.forEach(function (fieldset) {
      var rule = fieldset.getAttribute("data-show-when");
      var visible = !rule || holds(JSON.parse(rule));
      fieldset.hidden = !visible;
      if (!visible) { return; }
      shown += 1;
      var name = (fieldset.querySelector("input, textarea") || {}).name;
      if (name && value(name) !== null) { answered += 1; }
    });
    if (counter) {
      counter.textContent = counter.getAttribute("data-format")
        .replace("{n}", String(answered)).replace("{total}", String(shown));
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
}());
