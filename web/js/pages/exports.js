// CSV exports: a 5-minute link to a file with only the columns the role may see.

import { call } from "../api.js";
import { errorList, field, formValues, h, put } from "../dom.js";
import { CREATE_EXPORT, LOCATIONS } from "../operations.js";

const KINDS = [
  ["INVOICES", "Invoices"],
  ["PAYMENTS", "Payments"],
  ["RECEIVABLES_AGING", "Receivables aging"],
  ["COLLECTIONS", "Collections"],
  ["REVENUE_BY_SERVICE", "Revenue by service"],
];

export async function exportsPage() {
  const { locations } = await call(LOCATIONS);
  const result = h("div", { id: "export-result", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card", id: "export-form" },
    h(
      "div",
      { class: "row" },
      field("What", "kind", { options: KINDS }),
      field("From", "from", { type: "date" }),
      field("To", "to", { type: "date" }),
      field("Location", "locationId", { options: [["", "All locations"], ...locations.map((l) => [l.id, l.name])] }),
    ),
    h("button", { type: "submit" }, "Create CSV"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const input = { kind: v.kind, from: v.from || null, to: v.to || null, locationId: v.locationId || null };
    const { createExport } = await call(CREATE_EXPORT, { input });
    put(result,
      createExport.errors.length
        ? errorList(createExport.errors)
        : h("p", {}, h("a", { href: createExport.url, download: `${v.kind.toLowerCase()}.csv`, id: "export-download" }, "Download the CSV"),
            h("span", { class: "muted" }, " (the link works for 5 minutes)")),
    );
  });
  return [h("h1", {}, "Exports"), form, result];
}
