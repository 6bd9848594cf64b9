// The store app's own script, loaded from our static files (the Content-Security-Policy
// allows no inline script). A select marked data-submit-on-change submits its form when
// a choice is made, with the mouse, a tap or Enter; the form's button does the same
// where scripts do not run.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select instanceof HTMLSelectElement && select.hasAttribute("data-submit-on-change")) {
    select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
  }
});
