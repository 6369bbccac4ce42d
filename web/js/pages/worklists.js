// The staff worklists: insurance pending too long, overdue invoices, flagged payments to
// resolve, disputed payments and the paper-statement queue.

import { call } from "../api.js";
import { errorList, field, formValues, h, money, put, table, text } from "../dom.js";
import { MARK_MAILED, PAPER_QUEUE, RESOLVE_REVIEW, STAFF_INVOICES, STAFF_PAYMENTS } from "../operations.js";
import { can } from "../session.js";

const KINDS = [
  ["insurance", "Pending with insurance"],
  ["overdue", "Overdue"],
  ["flagged", "Flagged payments"],
  ["disputed", "Disputed payments"],
  ["paper", "Paper statements"],
];
let pendingDays = 30;

export async function worklistPage(kind) {
  const tabs = h(
    "nav",
    { "aria-label": "Worklists", class: "row" },
    KINDS.map(([name, label]) =>
      h("a", { href: `#/worklists/${name}`, "aria-current": name === kind ? "page" : null, class: "tab" }, label),
    ),
  );
  const body = h("div", { id: `worklist-${kind}` });
  const builders = { insurance, overdue, flagged, disputed, paper };
  const build = builders[kind];
  if (!build) return [h("h1", {}, "Worklists"), tabs, h("p", {}, "There is no such worklist.")];
  await build(body);
  const title = KINDS.find(([name]) => name === kind)[1];
  return [h("h1", {}, `Worklist: ${title}`), tabs, body];
}

function invoiceRows(connection) {
  return connection.edges.map(({ node }) => [
    h("a", { href: `#/invoice/${encodeURIComponent(node.id)}` }, node.number),
    node.patient ? node.patient.displayName : "—",
    node.location ? node.location.name : "—",
    node.status,
    text(node.dueAt),
    money(node.insurancePending),
    money(node.balance),
  ]);
}

const INVOICE_HEADERS = ["Invoice", "Patient", "Location", "Status", "Due", "Insurance pending", "Balance"];

async function insurance(body) {
  const list = h("div", {});
  const form = h(
    "form",
    { class: "card row", id: "pending-days" },
    field("Pending with insurance for at least (days)", "days", { type: "number", min: 0, value: pendingDays }),
    h("button", { type: "submit" }, "Show"),
  );
  const load = async () => {
    const { invoices } = await call(STAFF_INVOICES, { first: 100, filter: { insurancePendingDays: pendingDays } });
    put(list, table(`${invoices.totalCount} invoice(s) pending ${pendingDays}+ days`, INVOICE_HEADERS, invoiceRows(invoices)));
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    pendingDays = Number(formValues(form).days || 0);
    await load();
  });
  await load();
  put(body, form, list);
}

async function overdue(body) {
  const { invoices } = await call(STAFF_INVOICES, {
    first: 100, filter: { overdue: true }, orderBy: { field: "DUE_AT", direction: "ASC" },
  });
  put(body, table(`${invoices.totalCount} overdue invoice(s)`, INVOICE_HEADERS, invoiceRows(invoices)));
}

function paymentRow(node, extra = []) {
  return [
    node.createdAt.slice(0, 10),
    node.patient ? h("a", { href: `#/patient/${encodeURIComponent(node.patient.id)}` }, node.patient.displayName) : "—",
    node.channel,
    node.status,
    money(node.amount),
    money(node.refunded),
    text(node.reviewReason),
    ...extra,
  ];
}

const PAYMENT_HEADERS = ["Created", "Patient", "Channel", "Status", "Amount", "Refunded", "Review reason"];

async function flagged(body) {
  const { payments } = await call(STAFF_PAYMENTS, { first: 100, filter: { needsReview: true } });
  const rows = payments.edges.map(({ node }) => paymentRow(node, can.act() ? [resolveForm(node, body)] : []));
  put(body,
    table(`${payments.totalCount} payment(s) to resolve`, can.act() ? [...PAYMENT_HEADERS, "Decision"] : PAYMENT_HEADERS, rows),
  );
}

function resolveForm(payment, body) {
  const messages = h("div", { "aria-live": "assertive" });
  const suffix = payment.id.replace(/[^A-Za-z0-9]/g, "");
  const form = h(
    "form",
    { class: "resolve", dataset: { paymentId: payment.id } },
    field("Resolution", `resolution-${suffix}`, {
      options: [["APPLY", "Apply to the invoices"], ["APPLY_AS_CREDIT", "Keep as credit"], ["REFUND", "Refund"]],
    }),
    field("Note", `note-${suffix}`),
    messages,
    h("button", { type: "submit" }, "Resolve"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const { resolvePaymentReview: resolved } = await call(RESOLVE_REVIEW, {
      input: { paymentId: payment.id, resolution: v[`resolution-${suffix}`], note: v[`note-${suffix}`] || null },
    });
    if (resolved.errors.length) {
      put(messages, errorList(resolved.errors));
      return;
    }
    await flagged(body);
    body.prepend(h("p", { class: "ok", role: "status", id: "action-result" }, "Payment resolved."));
  });
  return form;
}

async function disputed(body) {
  const { payments } = await call(STAFF_PAYMENTS, { first: 100, filter: { disputed: true } });
  put(body,
    table(`${payments.totalCount} disputed payment(s)`, PAYMENT_HEADERS, payments.edges.map(({ node }) => paymentRow(node))),
  );
}

async function paper(body) {
  const { paperStatementQueue: queue } = await call(PAPER_QUEUE, { first: 100, status: "REQUESTED" });
  const rows = queue.edges.map(({ node }) => [
    node.createdAt.slice(0, 10),
    h("a", { href: `#/patient/${encodeURIComponent(node.patient.id)}` }, node.patient.displayName),
    node.invoices.map((invoice) => invoice.number).join(", "),
    can.act()
      ? h("button", {
          type: "button",
          onclick: async () => {
            const { markPaperStatementMailed: marked } = await call(MARK_MAILED, { id: node.id });
            if (marked.errors.length) body.prepend(errorList(marked.errors));
            else await paper(body);
          },
        }, "Mark mailed")
      : "",
  ]);
  put(body, table("Paper statements to print and mail", ["Requested", "Patient", "Invoices", ""], rows));
}
