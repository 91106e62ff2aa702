// When a QuickBooks run shown on a listing page finishes, refresh the listing so every row's
// QuickBooks badge shows the new state (a listing answers HX-Target "listing" with its table).
document.addEventListener("htmx:afterSettle", () => {
  if (!document.getElementById("listing")) return;
  document.querySelectorAll(".qbo-run").forEach((run) => {
    const status = run.querySelector("[data-run-status]");
    if (!status || run.dataset.listingRefreshed) return;
    if (["queued", "running"].includes(status.dataset.runStatus)) return;
    run.dataset.listingRefreshed = "1";
    htmx.ajax("GET", window.location.href, { target: "#listing", swap: "outerHTML" });
  });
});

// The Content-Security-Policy forbids inline handlers and style attributes, so the behaviour
// that used to live in them is here.

// A form with data-confirm asks its question before it is sent.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A "select all" checkbox ticks every checkbox its data-select-all selector names.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  document.querySelectorAll(box.dataset.selectAll).forEach((other) => {
    other.checked = box.checked;
  });
});

// Progress bars take their width from data-percent, on the page and in every swapped fragment.
function sizeProgressBars(root) {
  const bars = [...root.querySelectorAll("[data-percent]")];
  if (root.matches && root.matches("[data-percent]")) bars.push(root);
  bars.forEach((bar) => { bar.style.width = `${bar.dataset.percent}%`; });
}
document.addEventListener("DOMContentLoaded", () => sizeProgressBars(document));
document.addEventListener("htmx:load", (event) => sizeProgressBars(event.detail.elt));

// A checkbox never submits anything: Enter on it would otherwise press its form's first
// enabled button (on a listing, a QuickBooks copy). Ticking is Space; copying is a click.
document.addEventListener("keydown", (event) => {
  const box = event.target;
  if (event.key === "Enter" && box instanceof HTMLInputElement && box.type === "checkbox") {
    event.preventDefault();
  }
});

// "QBO Add Selected (3)": how many rows are ticked, kept current as boxes change, the
// select-all box ticks every row, or the listing is refreshed.
function showSelectedCount() {
  const ticked = document.querySelectorAll(
    "input[name=ids][form=qbo-selected-form]:checked").length;
  document.querySelectorAll("[data-qbo-selected-count]").forEach((count) => {
    count.textContent = ticked ? ` (${ticked})` : "";
  });
}
document.addEventListener("change", showSelectedCount);
document.addEventListener("click", () => setTimeout(showSelectedCount));
document.addEventListener("htmx:afterSettle", showSelectedCount);

// After a save that did not go through, focus goes to the first field in error (its message is
// tied to it with aria-describedby), on a page load and when a form fragment is swapped in; the
// title says there are errors, as the server renders it for a full page.
const ERROR_PREFIX = "Errors to fix: ";
function focusFirstError(root) {
  const invalid = root.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
}
document.addEventListener("DOMContentLoaded", () => focusFirstError(document));
document.addEventListener("htmx:afterSettle", (event) => {
  // Only an answer to a submitted form: a polling refresh must never move focus.
  const config = event.detail.requestConfig;
  if (!config || config.verb !== "post") return;
  const hasErrors = Boolean(document.querySelector("[aria-invalid=true]"));
  const title = document.title.replace(ERROR_PREFIX, "");
  document.title = hasErrors ? ERROR_PREFIX + title : title;
  focusFirstError(document);
});

// Live progress speaks one short line when a run's state changes (queued, running, finished
// with its counts), not the whole card each time it refreshes.
const announced = new Map();
function announceRuns() {
  const live = document.getElementById("live-status");
  if (!live) return;
  document.querySelectorAll("[data-status-line]").forEach((run) => {
    const line = run.dataset.statusLine;
    if (announced.get(run.id) === line) return;
    const first = !announced.has(run.id);
    announced.set(run.id, line);
    if (!first || document.readyState === "complete") live.textContent = line;
  });
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-status-line]").forEach((run) => {
    announced.set(run.id, run.dataset.statusLine);
  });
});
document.addEventListener("htmx:afterSettle", announceRuns);

// After Retry (or any form that replaces the run card it sat in) focus would fall back to the
// top of the page: it goes to the new run's heading instead.
document.addEventListener("htmx:afterSettle", (event) => {
  const config = event.detail.requestConfig;
  if (!config || config.verb !== "post") return;
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  const heading = document.querySelector("[data-run-heading]");
  if (heading) heading.focus();
});
