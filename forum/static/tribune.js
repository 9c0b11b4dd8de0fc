// Tribune: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Move focus to the first field in error, so keyboard and screen-reader users land on it.
  // A group in error (a fieldset of radio buttons) cannot take the focus: its first choice does.
  var invalid = document.querySelector("[aria-invalid='true']");
  if (invalid && invalid.tagName === "FIELDSET") {
    invalid = invalid.querySelector("input:not([type='hidden']), select, textarea");
  }
  if (invalid) {
    invalid.focus();
  }

  // "Ajouter une citation" without a round trip: clone an empty fieldset from the server's
  // own markup (renumbered), keeping what is already typed. Falls back to the form post.
  document.querySelectorAll("button[name='action'][value='add_quote']").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var form = button.form;
      var counter = form.querySelector("input[name='quote_count']");
      var template = document.getElementById("quote-template");
      if (!counter || !template) { return; }
      event.preventDefault();
      var index = parseInt(counter.value, 10) || 0;
      var html = template.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fieldset = holder.firstElementChild;
      button.closest(".form-actions").before(fieldset);
      counter.value = String(index + 1);
      var first = fieldset.querySelector("select, input, textarea");
      if (first) { first.focus(); }
    });
  });
})();
