// The store app's own script, loaded from our static files (the Content-Security-Policy
// allows no inline script). Everything works without it; it adds:
// - the filter panel that slides in and out (a link to #filter-panel without scripts),
//   and, while it covers the page, keeps Tab within it as a dialog does,
// - focus on the first new card after "Show more", instead of the page body,
// - the account menu closing on Escape or a tap elsewhere.
// No select submits its form on change: a choice made with the arrow keys changes nothing
// until its button is pressed (R-UX-1).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function panel() { return document.getElementById("filter-panel"); }
  function toggles() { return document.querySelectorAll("[data-filter-toggle]"); }
  function backdrop() { return document.querySelector("[data-filter-backdrop]"); }
  var lastToggle = null;

  function setOpen(open, returnFocus) {
    var box = panel();
    if (!box) { return; }
    box.classList.toggle("is-open", open);
    // As a drawer over the page it is a modal dialog; beside the cards, a plain panel.
    if (open && isDrawer()) {
      box.setAttribute("role", "dialog");
      box.setAttribute("aria-modal", "true");
    } else {
      box.removeAttribute("role");
      box.removeAttribute("aria-modal");
    }
    var shade = backdrop();
    if (shade) { shade.classList.toggle("is-open", open); }
    toggles().forEach(function (button) { button.setAttribute("aria-expanded", open ? "true" : "false"); });
    if (open) {
      var first = box.querySelector("input, select, button, a[href]");
      if (first) { first.focus({ preventScroll: true }); }
    } else if (returnFocus && lastToggle) {
      lastToggle.focus();
    }
  }

  function isDrawer() {
    var box = panel();
    return !!box && window.getComputedStyle(box).position === "fixed";
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var toggle = target.closest("[data-filter-toggle]");
    if (toggle) {
      event.preventDefault();
      lastToggle = toggle;
      setOpen(!panel().classList.contains("is-open"), true);
      return;
    }
    if (target.closest("[data-filter-close]") || target.closest("[data-filter-backdrop]")) {
      event.preventDefault();
      setOpen(false, true);
      return;
    }
    var menu = document.querySelector("details.menu[open]");
    if (menu && !menu.contains(target)) { menu.removeAttribute("open"); }
    // "Show more": remember how many cards there were, to focus the first new one.
    var more = target.closest(".cards .more a");
    if (more) { pendingFocus = document.querySelectorAll(".cards > .card").length; }
  });

  // While the drawer covers the page, Tab and Shift+Tab go round its own controls: the
  // page behind is hidden by the backdrop and must not take the focus unseen.
  function focusable(box) {
    return Array.prototype.filter.call(
      box.querySelectorAll("a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])"),
      function (element) { return !element.disabled && element.getClientRects().length > 0; }
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") { return; }
    var box = panel();
    if (!box || !box.classList.contains("is-open") || !isDrawer()) { return; }
    var controls = focusable(box);
    if (!controls.length) { return; }
    var first = controls[0];
    var last = controls[controls.length - 1];
    var inside = box.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var box = panel();
    if (box && box.classList.contains("is-open")) {
      setOpen(false, true);
      return;
    }
    var menu = document.querySelector("details.menu[open]");
    if (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) { summary.focus(); }
    }
  });

  // Applying the filters in the drawer closes it and shows the results.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.id === "filters" && isDrawer()) {
      setOpen(false, false);
      var results = document.getElementById("results");
      if (results) { results.focus({ preventScroll: false }); }
    }
  });

  // A form that undoes something (cancelling an appointment) asks first; its question is
  // in its data-confirm, in the page's language.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // A form refused by the server comes back with its first wrong field focused, in view.
  function focusWrongField() {
    var wrong = document.querySelector("[aria-invalid='true']");
    if (wrong && document.activeElement !== wrong) {
      wrong.focus();
      wrong.scrollIntoView({ block: "center" });
    }
  }
  document.addEventListener("DOMContentLoaded", focusWrongField);
  window.addEventListener("load", focusWrongField);

  var pendingFocus = null;
  document.addEventListener("htmx:afterSettle", function () {
    if (pendingFocus === null) { return; }
    var cards = document.querySelectorAll(".cards > .card");
    var next = cards[pendingFocus];
    pendingFocus = null;
    if (next) {
      var link = next.querySelector("h3 a");
      (link || next).focus();
    }
  });
})();
