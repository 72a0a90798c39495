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

// [data-refresh-seconds]: the page loads itself again after that many seconds, while a worker renders or
// seals its documents (templates/inbox/_documents_progress.html); the server stops sending the marker when
// they are done. Never while the reader is typing into a form on the page, and always as a GET.
(() => {
  const marker = document.querySelector("[data-refresh-seconds]");
  if (!marker) {
    return;
  }
  let typing = false;
  document.addEventListener("input", () => { typing = true; });
  const seconds = Number(marker.getAttribute("data-refresh-seconds")) || 3;
  window.setTimeout(() => {
    if (!typing) {
      window.location.replace(window.location.href);
    }
  }, seconds * 1000);
})();
