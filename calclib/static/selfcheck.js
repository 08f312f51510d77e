/* Self-check blocks of calclib.quiz: immediate feedback, no kernel, no network.
   Each block is a <section class="cl-selfcheck">; each question a <fieldset> whose
   data-kind is "numeric" or "choice". Feedback goes to an aria-live status element.
   Loaded once per page (the first block defines window.clSelfcheck). */
(function () {
  if (window.clSelfcheck) { window.clSelfcheck.scan(); return; }

  function parseNumber(text) {
    var t = String(text).trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    if (t === "") return NaN;
    var frac = t.match(/^([-+]?[0-9.eE+-]+)\s*\/\s*([-+]?[0-9.eE+-]+)$/);
    if (frac) return Number(frac[1]) / Number(frac[2]);
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return NaN;
    return Number(t);
  }

  function say(q, ok, message) {
    var out = q.querySelector(".cl-feedback");
    out.textContent = "";
    var mark = document.createElement("strong");
    mark.textContent = ok ? "Correct. " : "Not quite. ";
    out.appendChild(mark);
    out.appendChild(document.createTextNode(message));
    out.className = "cl-feedback " + (ok ? "cl-right" : "cl-wrong");
    if (window.MathJax && MathJax.typesetPromise) { MathJax.typesetPromise([out]); }
  }

  function checkNumeric(q) {
    var value = parseNumber(q.querySelector("input").value);
    if (isNaN(value)) { say(q, false, "Type a number, e.g. 0.25, -3 or 1/4."); return; }
    var answer = Number(q.dataset.answer), tol = Number(q.dataset.tol);
    if (Math.abs(value - answer) <= tol) { say(q, true, q.dataset.explain); return; }
    var wrong = JSON.parse(q.dataset.wrong || "[]");
    for (var i = 0; i < wrong.length; i++) {
      if (Math.abs(value - wrong[i][0]) <= tol) { say(q, false, wrong[i][1]); return; }
    }
    say(q, false, q.dataset.hint);
  }

  function checkChoice(q) {
    var picked = q.querySelector("input:checked");
    if (!picked) { say(q, false, "Pick one of the options first."); return; }
    var ok = picked.value === q.dataset.correct;
    say(q, ok, ok ? q.dataset.explain : picked.dataset.why);
  }

  function scan() {
    var qs = document.querySelectorAll(".cl-selfcheck fieldset[data-kind]");
    for (var i = 0; i < qs.length; i++) {
      var q = qs[i];
      if (q.dataset.ready) continue;
      q.dataset.ready = "1";
      (function (q) {
        var check = q.dataset.kind === "numeric" ? checkNumeric : checkChoice;
        q.querySelector("button.cl-check").addEventListener("click", function () { check(q); });
        if (q.dataset.kind === "numeric") {
          q.querySelector("input").addEventListener("keydown", function (e) {
            if (e.key === "Enter") { e.preventDefault(); check(q); }
          });
        } else {
          var radios = q.querySelectorAll("input[type=radio]");
          for (var j = 0; j < radios.length; j++) {
            radios[j].addEventListener("change", function () { check(q); });
          }
        }
      })(q);
    }
  }

  window.clSelfcheck = { scan: scan, parseNumber: parseNumber };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
})();
