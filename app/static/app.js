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
