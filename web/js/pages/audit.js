// The access log for auditors, newest first, with filters.

import { call } from "../api.js";
import { errorList, field, formValues, h, put, table, text } from "../dom.js";
import { AUDIT_TRAIL } from "../operations.js";

export async function auditPage() {
  const results = h("div", { id: "audit-results" });
  const form = h(
    "form",
    { class: "card", id: "audit-filter" },
    h(
      "div",
      { class: "row" },
      field("Action (e.g. auth.login)", "action"),
      field("Actor id", "actorId"),
      field("Patient id", "patientId"),
      field("From", "from", { type: "datetime-local" }),
      field("To", "to", { type: "datetime-local" }),
    ),
    h("button", { type: "submit" }, "Filter"),
  );
  const load = async (filter, after = null) => {
    try {
      const { auditTrail } = await call(AUDIT_TRAIL, { first: 50, after, filter });
      const rows = auditTrail.edges.map(({ node }) => [
        node.occurredAt.replace("T", " ").slice(0, 19),
        node.actor ? node.actor.email : "—",
        text(node.actorRole),
        node.action,
        `${text(node.resourceType)} ${text(node.resourceId)}`,
        text(node.patientId),
        node.outcome,
        text(node.ipAddress),
        text(node.requestId),
      ]);
      const more = auditTrail.pageInfo.hasNextPage
        ? h("button", { type: "button", class: "secondary", onclick: () => load(filter, auditTrail.pageInfo.endCursor) }, "Next page")
        : null;
      put(results,
        table("Access log", ["When", "Actor", "Role", "Action", "Resource", "Patient", "Outcome", "IP", "Request id"], rows),
        more,
      );
    } catch (error) {
      put(results, errorList([{ code: error.code, message: error.message }]));
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const filter = {};
    for (const name of ["action", "actorId", "patientId"]) if (v[name]) filter[name] = v[name];
    for (const name of ["from", "to"]) if (v[name]) filter[name] = new Date(v[name]).toISOString();
    await load(filter);
  });
  await load({});
  return [h("h1", {}, "Access log"), form, results];
}
