// The review screen without reloads (everything also works without JavaScript): Enter /
// Shift+Enter move between fields, the selected field's page is shown with its box
// highlighted, thumbnails switch pages, zoom buttons enlarge the page image.
(function () {
  "use strict";
  var viewer = document.getElementById("anh-trang");
  var inputs = Array.prototype.slice.call(document.querySelectorAll(".field-input"));
  var zoom = 1;

  function showPage(index) {
    if (!viewer) { return; }
    viewer.querySelectorAll(".page").forEach(function (p) {
      p.classList.toggle("shown", p.getAttribute("data-page") === String(index));
    });
    document.querySelectorAll("[data-goto]").forEach(function (a) {
      if (a.getAttribute("data-goto") === String(index)) { a.setAttribute("aria-current", "true"); }
      else { a.removeAttribute("aria-current"); }
    });
  }

  function select(input) {
    var field = input.closest(".field");
    document.querySelectorAll(".field.selected").forEach(function (f) { f.classList.remove("selected"); });
    document.querySelectorAll(".box.on").forEach(function (b) { b.classList.remove("on"); });
    field.classList.add("selected");
    var key = field.getAttribute("data-field");
    if (field.hasAttribute("data-page")) { showPage(field.getAttribute("data-page")); }
    var box = document.querySelector('.box[data-box="' + key + '"]');
    if (box) {
      box.classList.add("on");
      box.scrollIntoView({block: "nearest", inline: "nearest"});
    }
  }

  inputs.forEach(function (input, i) {
    input.addEventListener("focus", function () { select(input); });
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();  // Enter moves on instead of sending the form
      var next = inputs[i + (event.shiftKey ? -1 : 1)];
      (next || document.getElementById("ly_do")).focus();
    });
  });

  document.querySelectorAll("[data-goto]").forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      showPage(a.getAttribute("data-goto"));
    });
  });

  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      zoom = Math.min(3, Math.max(1, zoom + Number(button.getAttribute("data-zoom"))));
      viewer.className = "viewer zoom" + zoom;
    });
  });
}());
