// A location's dashboard: receivables totals, aging buckets and collections per week,
// drawn as inline SVG with the numbers beside them in a table for screen readers.

import { call } from "../api.js";
import { field, h, money, put, svg, table } from "../dom.js";
import { COLLECTIONS, LOCATIONS, RECEIVABLES } from "../operations.js";

const WEEKS = 12;
let chosenLocation = "";

export async function dashboardPage() {
  const { locations } = await call(LOCATIONS);
  const body = h("div", { id: "dashboard" });
  const picker = field("Location", "location", {
    value: chosenLocation,
    options: [["", "All locations"], ...locations.map((l) => [l.id, l.name])],
  });
  picker.querySelector("select").addEventListener("change", async (event) => {
    chosenLocation = event.target.value;
    await render(body);
  });
  await render(body);
  return [h("h1", {}, "Dashboard"), h("div", { class: "card" }, picker), body];
}

function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

async function render(body) {
  const locationId = chosenLocation || null;
  const today = new Date();
  const from = new Date(today.getTime() - WEEKS * 7 * 86_400_000);
  const [{ receivables }, { collectionsReport }] = await Promise.all([
    call(RECEIVABLES, { locationId }),
    call(COLLECTIONS, { from: isoDate(from), to: isoDate(today), interval: "WEEK", locationId }),
  ]);
  const sections = receivables.map((entry) => {
    const currency = entry.outstanding.currency;
    const weeks = collectionsReport.filter((row) => row.collected.currency === currency);
    return h(
      "section",
      { "aria-label": `Receivables in ${currency}` },
      h("h2", {}, `Receivables (${currency})`),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Billed"), h("dd", {}, money(entry.billed)),
        h("dt", {}, "Collected"), h("dd", {}, money(entry.collected)),
        h("dt", {}, "Outstanding"), h("dd", { class: "outstanding" }, money(entry.outstanding)),
        h("dt", {}, "Pending with insurance"), h("dd", {}, money(entry.insurancePending)),
      ),
      h("div", { class: "grid" },
        h("figure", { class: "chart", id: `aging-${currency}` },
          h("figcaption", {}, "Aging (outstanding by days past due)"),
          barChart(entry.aging.map((b) => [b.bucket.replaceAll("_", " ").toLowerCase(), Number(b.amount.amount)]), `Aging of ${currency} receivables`, true)),
        h("figure", { class: "chart", id: `collections-${currency}` },
          h("figcaption", {}, `Collected per week, last ${WEEKS} weeks`),
          barChart(weeks.map((w) => [w.start.slice(5, 10), Number(w.collected.amount)]), `Collections per week in ${currency}`, false)),
      ),
      table("Aging buckets", ["Bucket", "Invoices", "Amount"], entry.aging.map((b) => [b.bucket, b.invoiceCount, money(b.amount)])),
      table("Collections per week", ["Week from", "Billed", "Collected", "Refunded", "Adjusted"],
        weeks.map((w) => [w.start.slice(0, 10), money(w.billed), money(w.collected), money(w.refunded), money(w.adjusted)])),
    );
  });
  put(body, ...(sections.length ? sections : [h("p", {}, "No receivables yet.")]));
}

// Values are for drawing only (the tables beside the charts hold the exact Decimals).
function barChart(points, label, alternate) {
  const width = 560;
  const height = 240;
  const left = 56;
  const bottom = 28;
  const top = 12;
  const max = Math.max(1, ...points.map(([, v]) => v));
  const slot = points.length ? (width - left - 8) / points.length : 0;
  const y = (value) => top + (height - top - bottom) * (1 - value / max);
  const ticks = [0, max / 2, max];
  return svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
    svg("title", {}, label),
    ticks.map((t) => [
      svg("line", { x1: left, x2: width, y1: y(t), y2: y(t) }),
      svg("text", { x: left - 6, y: y(t) + 4, "text-anchor": "end" }, max < 10 ? t.toFixed(2) : Math.round(t).toLocaleString()),
    ]),
    points.map(([name, value], index) => [
      svg("rect", {
        class: alternate && index % 2 ? "bar alt" : "bar",
        x: left + index * slot + slot * 0.15, width: Math.max(1, slot * 0.7),
        y: y(value), height: Math.max(0, height - bottom - y(value)),
      }, svg("title", {}, `${name}: ${value.toFixed(2)}`)),
      svg("text", { x: left + index * slot + slot / 2, y: height - 10, "text-anchor": "middle" }, name),
    ]),
  );
}
