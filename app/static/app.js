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
