// The date slider (world time) and the copy button of the head hash. Without this script
// the pages still work: the date field and its button submit the same GET form.
(function () {
  "use strict";
  var DAY_MS = 86400000;
  var WAIT_MS = 600; // the slider navigates once it has rested this long

  function dayAt(first, index) {
    return new Date(first + index * DAY_MS).toISOString().slice(0, 10);
  }

  document.querySelectorAll("[data-slider]").forEach(function (box) {
    var form = box.closest("form");
    var range = box.querySelector("input[type=range]");
    var output = box.querySelector("output");
    var date = form.querySelector("input[type=date]");
    var first = Date.parse(box.dataset.first + "T00:00:00Z");
    var timer = null;

    function navigate() {
      var url = new URL(form.action, window.location.href);
      new FormData(form).forEach(function (value, name) {
        if (value !== "") url.searchParams.set(name, value);
      });
      url.hash = range.id; // the next page puts the keyboard back on the slider
      window.location.assign(url.toString());
    }

    box.hidden = false;
    range.addEventListener("input", function () {
      var day = dayAt(first, Number(range.value));
      output.value = day;
      range.setAttribute("aria-valuetext", day);
      date.value = day;
      window.clearTimeout(timer);
      timer = window.setTimeout(navigate, WAIT_MS);
    });
    if (window.location.hash === "#" + range.id) range.focus();
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return; // the hash stays selectable by hand
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      });
    });
  });
})();
