/* The filter drawer of the search and category pages on narrow screens. Without JavaScript
   the "Filters" link opens the panel through :target and "Close" / "Show N results" leave it.
   Here the drawer's open state lives on <html> (class "filters-open"), outside the
   django-unicorn component, so it survives the component's re-renders while the shopper ticks
   filters; Escape closes it and focus goes back to the "Filters" button. */
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 56rem)");
  var OPEN = "filters-open";
  var root = document.documentElement;

  function toggles() { return document.querySelectorAll("[data-drawer-open]"); }

  function setExpanded(value) {
    Array.prototype.forEach.call(toggles(), function (t) { t.setAttribute("aria-expanded", String(value)); });
  }

  function open() {
    root.classList.add(OPEN);
    setExpanded(true);
    var title = document.getElementById("facets-title");
    if (title) title.focus();
  }

  function close(returnFocus) {
    if (!root.classList.contains(OPEN)) return;
    root.classList.remove(OPEN);
    setExpanded(false);
    if (returnFocus) {
      var toggle = toggles()[0];
      if (toggle) toggle.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;
    if (target.closest("[data-drawer-open]")) {
      event.preventDefault();
      open();
    } else if (target.closest("[data-drawer-close]")) {
      event.preventDefault();
      close(true);
    } else if (target.closest("[data-drawer-done]") && !wide.matches) {
      // The form's submit still runs (the component applies it, or the page reloads without JS).
      close(false);
      var heading = document.getElementById("listing-title");
      var results = document.getElementById("results");
      if (heading) heading.focus({ preventScroll: true });
      if (results) results.scrollIntoView({ block: "start" });
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && root.classList.contains(OPEN)) close(true);
  });
  if (wide.addEventListener) wide.addEventListener("change", function () { if (wide.matches) close(false); });
  // The no-JavaScript fallback's #filters in the address bar: open as a drawer instead.
  if (window.location.hash === "#filters" && !wide.matches) {
    document.addEventListener("DOMContentLoaded", open);
  }
})();
