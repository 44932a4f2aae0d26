// Browsable API filter form: send only the fields that hold a value, so an
// untouched field never reaches the endpoint as an empty (invalid) parameter.
(function () {
  "use strict";
  document.querySelectorAll("form[data-kcloud-filters]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (field) {
        var empty = field.multiple ? field.selectedOptions.length === 0 : field.value === "";
        if (empty) {
          field.disabled = true;
        }
      });
    });
  });
})();
// Coming back to the page (history), the fields must be usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-kcloud-filters] [disabled]").forEach(function (field) {
    field.disabled = false;
  });
});
