// The suggestion box: similar suggestions while typing (intake), canned replies (staff).
// Text from the server is set as textContent, never as markup.
(function () {
  "use strict";
  var box = document.querySelector(".sc-similar");
  var subject = document.getElementById("subject");
  if (box && subject) {
    var timer = null;
    var ask = function () {
      var q = subject.value.trim();
      if (q.length < 3) { box.replaceChildren(); return; }
      fetch(box.dataset.similarUrl + "?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (data) {
          box.replaceChildren();
          if (!data.items || !data.items.length) { return; }
          var list = document.createElement("ul");
          data.items.forEach(function (item) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = box.dataset.boardUrl;
            a.textContent = item.subject + " (" + item.votes + ")";
            li.appendChild(a);
            list.appendChild(li);
          });
          box.appendChild(list);
        })
        .catch(function () { box.replaceChildren(); });
    };
    subject.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 250); });
  }
  document.querySelectorAll("select.sc-canned").forEach(function (select) {
    select.addEventListener("change", function () {
      var target = document.getElementById(select.dataset.target);
      if (target && select.value) { target.value = select.value; }
    });
  });
})();
