/* Suggestions under the header search box: a WAI-ARIA combobox with a listbox
   popup (products with thumbnail and price, categories, brands, popular searches).
   From the 2nd character, debounced; the server renders the options (escaped
   HTML, search/_suggestions.html). Without JavaScript the box is a plain GET
   form to /search. */
(function () {
  "use strict";
  var MIN_CHARS = 2;
  var DELAY_MS = 120;

  function init() {
    var input = document.getElementById("site-search");
    if (!input || !input.form || !window.fetch) return;
    var form = input.form;
    var endpoint = form.getAttribute("data-suggest-url");
    if (!endpoint) return;

    var listbox = document.createElement("div");
    listbox.id = "site-search-listbox";
    listbox.className = "suggest-panel";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", "Search suggestions");
    listbox.hidden = true;
    form.classList.add("has-suggestions");
    form.appendChild(listbox);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    var timer = null;
    var controller = null;
    var active = -1;
    var shownFor = null; // the text the listbox content belongs to

    function options() {
      return Array.prototype.slice.call(listbox.querySelectorAll("[role='option']"));
    }

    function setActive(index) {
      var opts = options();
      active = index;
      opts.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && opts[index]) {
        input.setAttribute("aria-activedescendant", opts[index].id);
        if (opts[index].scrollIntoView) opts[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      if (!options().length) {
        close();
        return;
      }
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function load() {
      var text = input.value.trim();
      if (text.length < MIN_CHARS) {
        if (controller) controller.abort();
        shownFor = null;
        listbox.innerHTML = "";
        close();
        return;
      }
      if (text === shownFor) {
        open();
        return;
      }
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      fetch(endpoint + "?q=" + encodeURIComponent(text), {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (input.value.trim() !== text) return; // a later keystroke wins
          // Server-rendered from escaped values (search/_suggestions.html).
          listbox.innerHTML = html;
          shownFor = text;
          setActive(-1);
          if (document.activeElement === input) open();
          else close();
        })
        .catch(function () { /* aborted or offline: keep the plain form */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var opts = options();
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (listbox.hidden) {
            open();
            if (listbox.hidden) load();
            return;
          }
          setActive(active + 1 >= opts.length ? 0 : active + 1);
          break;
        case "ArrowUp":
          if (listbox.hidden) return;
          event.preventDefault();
          setActive(active <= 0 ? opts.length - 1 : active - 1);
          break;
        case "Enter":
          // No option chosen: the form submits to /search as without JavaScript.
          if (!listbox.hidden && active >= 0 && opts[active]) {
            event.preventDefault();
            window.location.assign(opts[active].href);
          }
          break;
        case "Escape":
          if (!listbox.hidden) {
            event.preventDefault();
            close();
          }
          break;
        default:
          break;
      }
    });

    input.addEventListener("focus", function () {
      if (shownFor !== null && shownFor === input.value.trim()) open();
    });
    input.addEventListener("blur", function () {
      // Later than a click on an option, which navigates by itself.
      window.setTimeout(function () {
        if (document.activeElement !== input) close();
      }, 150);
    });
    // Keep the focus (and the caret) in the box while the pointer picks an option.
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    listbox.addEventListener("mousemove", function (event) {
      var option = event.target.closest ? event.target.closest("[role='option']") : null;
      var index = option ? options().indexOf(option) : -1;
      if (index >= 0 && index !== active) setActive(index);
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) close();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
