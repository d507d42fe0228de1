/* Checkout: choosing a shipping method updates the order summary at once. The form is sent
   as its "Update the total" button would send it (the server prices the order: shipping,
   taxes), and the summary of the answer replaces this page's. Without JavaScript, or if the
   request fails, the button does the same with a page load. */
(function () {
  "use strict";
  var button = document.querySelector("[data-shipping-update]");
  var summary = document.querySelector("[data-order-summary]");
  if (!button || !summary || !window.fetch || !window.FormData || !window.DOMParser) return;
  var form = button.form;
  var pending = null;

  form.addEventListener("change", function (event) {
    if (event.target.name !== "shipping_method") return;
    var data = new FormData(form);
    data.set("action", "update");
    if (pending) pending.abort();
    pending = new AbortController();
    summary.setAttribute("aria-busy", "true");
    // (getAttribute: the form's buttons named "action" shadow form.action)
    fetch(form.getAttribute("action") || window.location.pathname, { method: "POST", body: data, credentials: "same-origin", signal: pending.signal,
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-order-summary]");
        if (!fresh) throw new Error("no summary");
        summary.innerHTML = fresh.innerHTML;
        summary.removeAttribute("aria-busy");
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        button.click();  // the page load the button always did
      });
  });
})();
