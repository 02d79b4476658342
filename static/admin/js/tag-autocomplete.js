// Suggests existing tags while an editor types in the comma-separated tags field.
// The browser's own <datalist> shows the suggestions, so keyboard and screen readers
// work as with any other suggestion list.
"use strict";
(function () {
  function setUp(input) {
    const list = document.createElement("datalist");
    list.id = input.id + "_suggestions";
    input.after(list);
    input.setAttribute("list", list.id);
    let pending = null;
    input.addEventListener("input", function () {
      const value = input.value;
      const cut = value.lastIndexOf(",") + 1;
      const term = value.slice(cut).trim();
      const before = value.slice(0, cut);
      if (pending) pending.abort();
      if (!term) { list.replaceChildren(); return; }
      pending = new AbortController();
      fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(term), {
        signal: pending.signal, credentials: "same-origin",
      })
        .then(function (response) { return response.ok ? response.json() : { tags: [] }; })
        .then(function (data) {
          list.replaceChildren(...data.tags.map(function (name) {
            const option = document.createElement("option");
            const quoted = name.includes(",") ? '"' + name + '"' : name;
            option.value = (before ? before.trimEnd() + " " : "") + quoted + ", ";
            return option;
          }));
        })
        .catch(function () { /* a superseded or failed request leaves the list as it was */ });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest-url]").forEach(setUp);
  });
})();
