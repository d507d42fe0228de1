/* Progressive enhancement only: every control works without this file. */
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 48rem)");
  var hover = window.matchMedia("(hover: hover) and (pointer: fine)");

  function init() {
    var drawer = document.querySelector("[data-nav-drawer]");
    var groups = Array.prototype.slice.call(document.querySelectorAll("[data-menu-group]"));

    // The drawer is open in the HTML (for no-JS); fold it on small screens.
    function syncDrawer() {
      if (!drawer) return;
      drawer.open = wide.matches;
    }
    syncDrawer();
    if (wide.addEventListener) wide.addEventListener("change", syncDrawer);

    function closeOthers(except) {
      groups.forEach(function (g) { if (g !== except) g.open = false; });
    }

    groups.forEach(function (group) {
      group.addEventListener("toggle", function () {
        if (group.open && wide.matches) closeOthers(group);
      });
      // Desktop: open on hover, as shoppers expect of a menu bar.
      group.parentElement.addEventListener("mouseenter", function () {
        if (wide.matches && hover.matches) group.open = true;
      });
      group.parentElement.addEventListener("mouseleave", function () {
        if (wide.matches && hover.matches) group.open = false;
      });
    });

    document.addEventListener("click", function (event) {
      if (!wide.matches) return;
      groups.forEach(function (g) { if (g.open && !g.contains(event.target)) g.open = false; });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      groups.forEach(function (g) {
        if (g.open) {
          g.open = false;
          if (g.contains(document.activeElement)) g.querySelector("summary").focus();
        }
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

// Search analytics: a result link carries data-click-url; tell the server which
// result was opened without delaying the navigation (a beacon survives the unload).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-click-url]");
    if (!link || !navigator.sendBeacon) return;
    var url = new URL(link.getAttribute("data-click-url"), window.location.origin);
    navigator.sendBeacon(url.pathname, new URLSearchParams(url.search));
  }, true);
})();
