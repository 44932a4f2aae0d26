/* KCloud Monitor: the header's "Menu" button at a phone's width (templates/base.html).
 *
 * Loaded in <head> so the "nav-js" class is on <html> before the first paint: the
 * stylesheet folds the menu only under that class, so without JavaScript the menu
 * stays open and every link reachable. The button's aria-expanded is the one state;
 * the stylesheet shows the menu from it.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("nav-js");

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function isOpen(button) {
    return button.getAttribute("aria-expanded") === "true";
  }

  function bind() {
    const button = document.querySelector(".menu-toggle[aria-controls]");
    if (!button) return;
    button.addEventListener("click", () => setOpen(button, !isOpen(button)));
    // Escape closes an open menu and puts the focus back where the keyboard user left it.
    document.addEventListener("keydown", event => {
      if (event.key !== "Escape" || !isOpen(button)) return;
      setOpen(button, false);
      button.focus();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
