/* Keeps the address bar in step with the reactive search page (django-unicorn
   component "search-page"), so a result set is shareable and Back/Forward
   restore it. The component renders its state as a query string in
   data-search-query; this script pushes it, and on popstate hands the address
   bar's query back to the component. Without JavaScript the page works through
   plain links and GET forms, and none of this runs. */
(function () {
  "use strict";
  if (!window.history || !window.history.pushState || !window.URLSearchParams) return;

  var COMPONENT = "search-page";
  // Typing refines one history entry instead of adding one per pause.
  var typing = false;
  // The states Back/Forward asked the component for (canonical queries, oldest first)
  // and not rendered yet. Their renders only normalise the URL: replace, never push;
  // and when the shopper pressed Back twice quickly, the render of the first must not
  // overwrite the history entry the second one is on.
  var restoring = [];

  document.documentElement.classList.add("has-search-js");
  // " · <shop name>", as the server writes titles.
  var SHOP_SUFFIX = document.title.indexOf(" · ") >= 0 ? document.title.slice(document.title.lastIndexOf(" · ")) : "";

  function root() {
    return document.querySelector("[data-search-query]");
  }

  // The same state whatever the order of the parameters.
  function canonical(query) {
    var pairs = [];
    new URLSearchParams(query).forEach(function (value, key) {
      if (value !== "") pairs.push(key + "=" + value);
    });
    return pairs.sort().join("&");
  }

  function withoutText(query) {
    var params = new URLSearchParams(query);
    params.delete("q");
    params.delete("page");
    return canonical(params.toString());
  }

  function currentQuery() {
    return window.location.search.replace(/^\?/, "");
  }

  function sync() {
    var el = root();
    if (!el) return;
    var query = el.getAttribute("data-search-query") || "";
    var current = currentQuery();
    var wasRestoring = restoring.length > 0;
    if (wasRestoring) {
      var index = restoring.indexOf(canonical(query));
      if (index >= 0 && index < restoring.length - 1) {
        // An earlier Back/Forward's state: a later one is on its way.
        restoring.splice(0, index + 1);
        return;
      }
      restoring = [];
    }
    if (canonical(query) === canonical(current)) return;
    var url = (el.getAttribute("data-search-path") || window.location.pathname) + (query ? "?" + query : "");
    var textOnly = withoutText(query) === withoutText(current);
    var state = { searchQuery: query };
    if (wasRestoring || (textOnly && typing)) window.history.replaceState(state, "", url);
    else window.history.pushState(state, "", url);
    typing = textOnly && !wasRestoring;
    var title = el.getAttribute("data-search-title");
    if (title) document.title = title + SHOP_SUFFIX;
    // Another page of results: show it from its top, as a page load would.
    if (!wasRestoring && pageOf(query) !== pageOf(current)) toResults();
  }

  function pageOf(query) {
    return new URLSearchParams(query).get("page") || "1";
  }

  function toResults() {
    var results = document.getElementById("results");
    var heading = document.getElementById("listing-title");
    if (results) results.scrollIntoView({ block: "start" });
    if (heading) heading.focus({ preventScroll: true });
  }

  function init() {
    if (!root() || typeof MutationObserver === "undefined") return;
    // Unicorn morphs the component in place; its root's data-search-query changes with the state.
    new MutationObserver(sync).observe(document.body, {
      attributes: true, subtree: true, attributeFilter: ["data-search-query"],
    });

    window.addEventListener("popstate", function () {
      var el = root();
      if (!el) return;
      var query = currentQuery();
      // (With a restore in flight the page still shows an older state: always ask.)
      if (!restoring.length && canonical(query) === canonical(el.getAttribute("data-search-query") || "")) return;
      if (!window.Unicorn || typeof window.Unicorn.call !== "function") {
        window.location.reload();
        return;
      }
      restoring.push(canonical(query));
      typing = false;
      window.Unicorn.call(COMPONENT, "restore_query", query);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
