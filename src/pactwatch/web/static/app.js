// pactwatch pages work without this script; it only adds conveniences. No library, nothing fetched from elsewhere.
(function () {
  "use strict";
  // Reader: a chosen .txt file is shown in the text box before sending (HTML files are extracted on the server).
  var file = document.getElementById("file");
  var text = document.getElementById("text");
  if (file && text && window.FileReader) {
    file.addEventListener("change", function () {
      var f = file.files && file.files[0];
      if (!f || !/\.txt$/i.test(f.name)) return;
      var r = new FileReader();
      r.onload = function () { text.value = String(r.result); file.value = ""; };
      r.readAsText(f);
    });
  }
  // Reader: hovering an event's row outlines its spans in the text.
  var rows = document.querySelectorAll("#events tbody tr");
  rows.forEach(function (row, i) {
    var n = String(i + 1);
    function marks() {
      return Array.prototype.filter.call(document.querySelectorAll("#marked mark"), function (m) {
        return (m.getAttribute("data-events") || "").split(" ").indexOf(n) >= 0;
      });
    }
    row.addEventListener("mouseenter", function () { marks().forEach(function (m) { m.classList.add("active"); }); });
    row.addEventListener("mouseleave", function () { marks().forEach(function (m) { m.classList.remove("active"); }); });
  });
  // Case page: choosing a scenario shows it at once.
  var sel = document.getElementById("scenario");
  if (sel && sel.form) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  }
})();
