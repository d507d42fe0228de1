/* Stripe Elements on the payment page: the one part of the purchase that needs JavaScript. */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof window.Stripe !== "function") return;
  var message = document.getElementById("payment-message");
  var submit = document.getElementById("payment-submit");
  var stripe = window.Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");

  function show(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit.disabled = true;
    show("");
    // On success Stripe redirects to return_url; we only get here on an error.
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        if (result.error) show(result.error.message || "The payment did not go through.");
        submit.disabled = false;
      });
  });
})();
