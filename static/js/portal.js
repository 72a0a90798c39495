/* Portal behaviour, kept out of the templates: the Content Security Policy (script-src 'self')
   runs no inline <script> and no on...= attribute, so pages mark elements with data- attributes
   and this file attaches the behaviour. Without JavaScript every form still has its button. */
"use strict";

// <select data-submit-on-change>: choosing an option submits the select's form (the language menu).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});
