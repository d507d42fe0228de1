/* Starts django-unicorn without an inline script (templates/unicorn/scripts.html), so the
   Content-Security-Policy needs no 'unsafe-inline'. Runs right after unicorn.min.js. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.Unicorn || typeof window.Unicorn.init !== "function") return;
  var settingsNode = document.getElementById("unicorn:settings:morpher");
  var morpherSettings = settingsNode ? JSON.parse(settingsNode.textContent) : {};
  window.Unicorn.init(script.dataset.messageUrl, script.dataset.csrfHeader, script.dataset.csrfCookie,
                      morpherSettings);
})();
