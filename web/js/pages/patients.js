// Finding a patient (the billing office's search) and the patient's record: contact
// details and coverages to edit, invoices and payments.

import { call } from "../api.js";
import { errorList, field, formValues, h, money, put, table, text } from "../dom.js";
import { FIND_PATIENTS, PATIENT_RECORD, UPDATE_PATIENT } from "../operations.js";
import { can } from "../session.js";

const CRITERIA = [
  ["lastName", "Last name", "text"],
  ["firstName", "First name", "text"],
  ["dateOfBirth", "Date of birth", "date"],
  ["email", "Email", "email"],
  ["phone", "Phone", "tel"],
  ["accountNumber", "Account number", "text"],
];
let lastSearch = {};

export async function patientsPage() {
  const results = h("div", { id: "patient-results", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card", id: "patient-search", role: "search" },
    h("div", { class: "row" }, CRITERIA.map(([name, label, type]) => field(label, name, { type, value: lastSearch[name] || "" }))),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const search = Object.fromEntries(Object.entries(formValues(form)).filter(([, v]) => v.trim()));
    if (!Object.keys(search).length) {
      put(results, h("p", { role: "alert" }, "Give at least one criterion."));
      return;
    }
    lastSearch = search;
    await runSearch(results, search);
  });
  if (Object.keys(lastSearch).length) runSearch(results, lastSearch);
  return [h("h1", {}, "Find a patient"), form, results];
}

async function runSearch(results, search) {
  put(results, h("p", { class: "muted" }, "Searching…"));
  try {
    const { patients } = await call(FIND_PATIENTS, { search, first: 50 });
    put(results,
      table(
        `${patients.totalCount} patient(s) found`,
        ["Name", "Account number", "Date of birth"],
        patients.edges.map(({ node }) => [
          h("a", { href: `#/patient/${encodeURIComponent(node.id)}` }, node.displayName),
          node.accountNumber,
          text(node.dateOfBirth),
        ]),
      ),
    );
  } catch (error) {
    put(results, errorList([{ code: error.code, message: error.message }]));
  }
}

export async function patientPage(id) {
  const container = h("div", { id: "patient-record" });
  await renderPatient(container, id);
  return [container];
}

async function renderPatient(container, id, message) {
  const { node: patient } = await call(PATIENT_RECORD, { id, first: 50 });
  if (!patient) {
    put(container, h("h1", {}, "Not found"), h("p", {}, "There is no such patient."));
    return;
  }
  const reload = (note) => renderPatient(container, id, note);
  put(container,
    h("h1", {}, patient.firstName && patient.lastName ? `${patient.firstName} ${patient.lastName}` : patient.displayName),
    message ? h("p", { class: "ok", role: "status" }, message) : null,
    h(
      "section",
      { "aria-labelledby": "facts-heading" },
      h("h2", { id: "facts-heading" }, "Account"),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Account number"), h("dd", {}, patient.accountNumber),
        h("dt", {}, "Date of birth"), h("dd", {}, text(patient.dateOfBirth)),
        h("dt", {}, "Balance"), h("dd", { id: "patient-balance" }, money(patient.balance)),
        h("dt", {}, "Credit"), h("dd", {}, money(patient.creditBalance)),
      ),
    ),
    table(
      "Invoices",
      ["Number", "Status", "Due", "Balance"],
      patient.invoices.edges.map(({ node }) => [
        h("a", { href: `#/invoice/${encodeURIComponent(node.id)}` }, node.number),
        node.status,
        text(node.dueAt),
        money(node.balance),
      ]),
    ),
    table(
      "Payments",
      ["Created", "Status", "Amount"],
      patient.payments.edges.map(({ node }) => [node.createdAt.slice(0, 10), node.status, money(node.amount)]),
    ),
    can.patients() ? contactForm(patient, reload) : null,
    can.patients() ? coverageForm(patient, reload) : null,
  );
}

function contactForm(patient, reload) {
  const address = patient.mailingAddress || {};
  const messages = h("div", { "aria-live": "assertive" });
  const form = h(
    "form",
    { class: "card", id: "contact-form" },
    h("h2", {}, "Contact details"),
    h(
      "div",
      { class: "row" },
      field("First name", "firstName", { value: patient.firstName }),
      field("Last name", "lastName", { value: patient.lastName }),
      field("Email", "email", { type: "email", value: patient.email }),
      field("Phone", "phone", { type: "tel", value: patient.phone }),
    ),
    h(
      "div",
      { class: "row" },
      field("Address line 1", "line1", { value: address.line1 }),
      field("Address line 2", "line2", { value: address.line2 }),
      field("City", "city", { value: address.city }),
      field("Region", "region", { value: address.region }),
      field("Postal code", "postalCode", { value: address.postalCode }),
      field("Country (ISO code)", "country", { value: address.country, maxlength: 2 }),
    ),
    messages,
    h("button", { type: "submit" }, "Save contact details"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const input = { patientId: patient.id, firstName: v.firstName, lastName: v.lastName };
    if (v.email) input.email = v.email;
    if (v.phone) input.phone = v.phone;
    if (v.line1 || v.city || v.postalCode || v.country) {
      input.mailingAddress = {
        line1: v.line1, line2: v.line2 || null, city: v.city, region: v.region || null,
        postalCode: v.postalCode, country: v.country,
      };
    }
    const { updatePatient } = await call(UPDATE_PATIENT, { input });
    if (updatePatient.errors.length) put(messages, errorList(updatePatient.errors));
    else await reload("Contact details saved.");
  });
  return form;
}

function coverageForm(patient, reload) {
  const rows = h("div", {});
  const addRow = (coverage = {}, index = rows.children.length) => {
    rows.append(
      h(
        "fieldset",
        { class: "row coverage" },
        h("legend", {}, `Coverage ${index + 1}`),
        field("Payer", `payerName-${index}`, { value: coverage.payerName }),
        field("Member id", `memberId-${index}`, { value: coverage.memberId }),
        field("Group number", `groupNumber-${index}`, { value: coverage.groupNumber }),
        field("Priority", `priority-${index}`, { type: "number", min: 1, value: coverage.priority ?? index + 1 }),
      ),
    );
  };
  patient.coverages.forEach((coverage, index) => addRow(coverage, index));
  const messages = h("div", { "aria-live": "assertive" });
  const form = h(
    "form",
    { class: "card", id: "coverage-form" },
    h("h2", {}, "Coverages"),
    h("p", { class: "muted" }, "Saving replaces the list. Leave a payer empty to remove that coverage."),
    rows,
    messages,
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: () => addRow() }, "Add a coverage"),
      h("button", { type: "submit" }, "Save coverages")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const coverages = [];
    for (let i = 0; i < rows.children.length; i += 1) {
      if (!v[`payerName-${i}`]) continue;
      coverages.push({
        payerName: v[`payerName-${i}`], memberId: v[`memberId-${i}`],
        groupNumber: v[`groupNumber-${i}`] || null, priority: Number(v[`priority-${i}`] || i + 1),
      });
    }
    const { updatePatient } = await call(UPDATE_PATIENT, { input: { patientId: patient.id, coverages } });
    if (updatePatient.errors.length) put(messages, errorList(updatePatient.errors));
    else await reload("Coverages saved.");
  });
  return form;
}
