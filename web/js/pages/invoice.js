// One invoice: its lines, payments and shipments, and what staff do with it: an
// insurance decision, an offline payment, an adjustment, a refund, a shipment, a PDF
// statement to print or send.

import { call, idempotencyKey } from "../api.js";
import { errorList, field, formValues, h, money, put, table, text } from "../dom.js";
import {
  ADD_SHIPMENT, ADJUST_INVOICE, CREATE_PDF_LINK, INVOICE_DETAIL, RECORD_INSURANCE,
  RECORD_OFFLINE_PAYMENT, REFUND_PAYMENT,
} from "../operations.js";
import { can } from "../session.js";

export async function invoicePage(id) {
  const container = h("div", { id: "invoice" });
  await render(container, id);
  return [container];
}

async function render(container, id, message) {
  const { node: invoice } = await call(INVOICE_DETAIL, { id });
  if (!invoice) {
    put(container, h("h1", {}, "Not found"), h("p", {}, "There is no such invoice."));
    return;
  }
  const reload = (note) => render(container, id, note);
  put(container,
    h("h1", {}, `Invoice ${invoice.number}`),
    message ? h("p", { class: "ok", role: "status", id: "action-result" }, message) : null,
    h(
      "section",
      {},
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Status"), h("dd", { id: "invoice-status" }, invoice.status),
        h("dt", {}, "Provider"), h("dd", {}, text(invoice.providerName)),
        h("dt", {}, "Location"), h("dd", {}, invoice.location ? invoice.location.name : "—"),
        h("dt", {}, "Service date"), h("dd", {}, text(invoice.serviceDate)),
        h("dt", {}, "Issued / due"), h("dd", {}, `${text(invoice.issuedAt)} / ${text(invoice.dueAt)}`),
        h("dt", {}, "Total"), h("dd", {}, money(invoice.total)),
        h("dt", {}, "Insurance pending"), h("dd", {}, money(invoice.insurancePending)),
        h("dt", {}, "Patient responsibility"), h("dd", {}, money(invoice.patientResponsibility)),
        h("dt", {}, "Balance"), h("dd", { id: "invoice-balance" }, money(invoice.balance)),
      ),
    ),
    table(
      "Lines",
      ["Code", "Description", "Quantity", "Unit price", "Amount"],
      invoice.lines.map((line) => [text(line.code), text(line.description), line.quantity, money(line.unitPrice), money(line.amount)]),
    ),
    table(
      "Payments",
      ["Created", "Status", "Amount"],
      invoice.payments.map((p) => [p.createdAt.slice(0, 10), p.status, money(p.amount)]),
    ),
    table(
      "Shipments",
      ["Carrier", "Tracking number", "Status", "Items"],
      invoice.shipments.map((s) => [
        s.carrier, s.trackingNumber, s.status,
        s.items.map((item) => `${item.quantity} × ${text(item.line.description)}`).join(", "),
      ]),
    ),
    can.act() ? actions(invoice, reload) : h("p", { class: "muted" }, "Your role may read this invoice, not change it."),
  );
}

function actionForm(id, title, fields, submit, reload) {
  const messages = h("div", { "aria-live": "assertive" });
  const form = h("form", { class: "card", id }, h("h2", {}, title), h("div", { class: "row" }, fields), messages, h("button", { type: "submit" }, title));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    put(messages);
    try {
      const payload = await submit(formValues(form));
      if (payload.errors.length) put(messages, errorList(payload.errors));
      else await reload(`${title}: done.`);
    } catch (error) {
      put(messages, errorList([{ code: error.code || "ERROR", message: error.message }]));
    }
  });
  return form;
}

function actions(invoice, reload) {
  const currency = invoice.total.currency;
  const payments = invoice.payments.map((p) => [p.id, `${p.createdAt.slice(0, 10)} ${money(p.amount)} ${p.status}`]);
  const forms = [
    actionForm("offline-payment", "Record offline payment", [
      field(`Amount (${currency})`, "amount", { inputmode: "decimal", required: true }),
      field("Method", "method", { options: [["CHECK", "Check"], ["CASH", "Cash"], ["BANK_TRANSFER", "Bank transfer"]] }),
      field("Reference (check number)", "reference"),
    ], async (v) => (await call(RECORD_OFFLINE_PAYMENT, {
      input: { invoiceId: invoice.id, amount: v.amount, method: v.method, reference: v.reference || null, idempotencyKey: idempotencyKey() },
    })).recordOfflinePayment, reload),
    actionForm("insurance-decision", "Record insurance decision", [
      field(`Paid by insurer (${currency})`, "paidAmount", { inputmode: "decimal", required: true, value: "0.00" }),
      field(`Denied (${currency})`, "deniedAmount", { inputmode: "decimal", required: true, value: "0.00" }),
    ], async (v) => (await call(RECORD_INSURANCE, {
      input: { invoiceId: invoice.id, paidAmount: v.paidAmount, deniedAmount: v.deniedAmount, idempotencyKey: idempotencyKey() },
    })).recordInsuranceDecision, reload),
    actionForm("adjustment", "Adjust invoice", [
      field(`Amount (${currency}; negative is a discount or write-off)`, "amount", { inputmode: "decimal", required: true }),
      field("Reason", "reason", { required: true }),
    ], async (v) => (await call(ADJUST_INVOICE, {
      input: { invoiceId: invoice.id, amount: v.amount, reason: v.reason, idempotencyKey: idempotencyKey() },
    })).adjustInvoice, reload),
  ];
  if (payments.length) {
    forms.push(actionForm("refund", "Refund payment", [
      field("Payment", "paymentId", { options: payments }),
      field(`Amount (${currency})`, "amount", { inputmode: "decimal", required: true }),
      field("Reason (kept here, never sent to Stripe)", "reason", { required: true }),
    ], async (v) => (await call(REFUND_PAYMENT, {
      input: { paymentId: v.paymentId, amount: v.amount, reason: v.reason, idempotencyKey: idempotencyKey() },
    })).refundPayment, reload));
  }
  if (invoice.lines.length) {
    forms.push(actionForm("shipment", "Add shipment", [
      field("Carrier", "carrier", { required: true }),
      field("Tracking number", "trackingNumber", { required: true }),
      field("Line", "lineId", { options: invoice.lines.map((line) => [line.id, `${text(line.code)} ${text(line.description)}`]) }),
      field("Quantity", "quantity", { type: "number", min: 1, value: 1 }),
    ], async (v) => (await call(ADD_SHIPMENT, {
      input: { invoiceId: invoice.id, carrier: v.carrier, trackingNumber: v.trackingNumber, items: [{ lineId: v.lineId, quantity: Number(v.quantity) }] },
    })).addShipment, reload));
  }
  forms.push(pdfStatementForm(invoice));
  return h("div", { class: "grid" }, forms);
}

// The link lasts five minutes and names neither patient nor invoice; it opens in a new tab.
function pdfStatementForm(invoice) {
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card", id: "pdf-statement" },
    h("h2", {}, "PDF statement"), result, h("button", { type: "submit" }, "Create PDF statement"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    put(result);
    try {
      const payload = (await call(CREATE_PDF_LINK, { invoiceId: invoice.id })).createInvoicePdfLink;
      if (payload.errors.length) put(result, errorList(payload.errors));
      else put(result, h("p", {}, h("a", { href: payload.url, target: "_blank", rel: "noopener", id: "pdf-link" },
        "Open the PDF statement"), ` (the link works until ${payload.expiresAt.slice(11, 16)} UTC)`));
    } catch (error) {
      put(result, errorList([{ code: error.code || "ERROR", message: error.message }]));
    }
  });
  return form;
}
