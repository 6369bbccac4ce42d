// The operations the console sends: those of the contract files
// (operations.graphql, billing-office.graphql), with the console's own selections.

const MONEY = "{ amount currency }";

export const LOGIN = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    mfaRequired mfaTicket session { accessToken expiresAt } errors { code field message }
  }
}`;

export const VERIFY_MFA = `mutation VerifyMfa($ticket: String!, $code: String!) {
  verifyMfa(ticket: $ticket, code: $code) {
    session { accessToken expiresAt } errors { code field message }
  }
}`;

// The refresh token is the HttpOnly cookie's: the console never sees it.
export const REFRESH = `mutation RefreshSession {
  refreshSession { session { accessToken expiresAt } errors { code message } }
}`;

export const LOGOUT = `mutation Logout { logout { ok errors { code message } } }`;

export const ME = `query Me { me { id email roles mfaEnabled } }`;

export const START_TOTP = `mutation StartTotpEnrollment {
  startTotpEnrollment { secret provisioningUri errors { code field message } }
}`;

export const CONFIRM_TOTP = `mutation ConfirmTotpEnrollment($code: String!) {
  confirmTotpEnrollment(code: $code) { recoveryCodes errors { code field message } }
}`;

export const FIND_PATIENTS = `query FindPatients($search: PatientSearch!, $first: Int, $after: String) {
  patients(search: $search, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id accountNumber displayName dateOfBirth } }
  }
}`;

export const PATIENT_RECORD = `query PatientRecord($id: ID!, $first: Int) {
  node(id: $id) {
    ... on Patient {
      id accountNumber displayName firstName lastName dateOfBirth email phone
      mailingAddress { line1 line2 city region postalCode country }
      balance ${MONEY}
      creditBalance ${MONEY}
      coverages { id payerName memberId groupNumber priority }
      invoices(first: $first) {
        totalCount
        edges { node { id number status dueAt balance ${MONEY} } }
      }
      payments(first: $first) { edges { node { id status amount ${MONEY} createdAt } } }
      paymentPlans { id status remaining ${MONEY} }
    }
  }
}`;

export const UPDATE_PATIENT = `mutation UpdatePatient($input: UpdatePatientInput!) {
  updatePatient(input: $input) { patient { id displayName } errors { code field message } }
}`;

export const INVOICE_DETAIL = `query InvoiceDetail($id: ID!) {
  node(id: $id) {
    ... on Invoice {
      id number status providerName location { id name } serviceDate issuedAt dueAt
      total ${MONEY} balance ${MONEY} patientResponsibility ${MONEY} insurancePending ${MONEY}
      lines { id description code quantity unitPrice ${MONEY} amount ${MONEY} reorderable }
      payments { id amount ${MONEY} status createdAt }
      shipments { id carrier trackingNumber status items { line { id description } quantity } }
    }
  }
}`;

export const RECORD_INSURANCE = `mutation RecordInsuranceDecision($input: InsuranceDecisionInput!) {
  recordInsuranceDecision(input: $input) {
    invoice { id status balance ${MONEY} insurancePending ${MONEY} } errors { code field message }
  }
}`;

export const RECORD_OFFLINE_PAYMENT = `mutation RecordOfflinePayment($input: OfflinePaymentInput!) {
  recordOfflinePayment(input: $input) {
    payment { id status amount ${MONEY} } errors { code field message }
  }
}`;

export const CREATE_PDF_LINK = `mutation CreateInvoicePdfLink($invoiceId: ID!) {
  createInvoicePdfLink(invoiceId: $invoiceId) { url expiresAt errors { code field message } }
}`;

export const ADJUST_INVOICE = `mutation AdjustInvoice($input: AdjustInvoiceInput!) {
  adjustInvoice(input: $input) { invoice { id status balance ${MONEY} } errors { code field message } }
}`;

export const REFUND_PAYMENT = `mutation RefundPayment($input: RefundPaymentInput!) {
  refundPayment(input: $input) { refund { id status amount ${MONEY} } errors { code field message } }
}`;

export const ADD_SHIPMENT = `mutation AddShipment($input: AddShipmentInput!) {
  addShipment(input: $input) { shipment { id status trackingNumber } errors { code field message } }
}`;

export const STAFF_INVOICES = `query StaffInvoices($first: Int, $after: String, $filter: StaffInvoiceFilter, $orderBy: InvoiceOrder) {
  invoices(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id number status patient { id displayName } location { id name } issuedAt dueAt
        total ${MONEY} balance ${MONEY} insurancePending ${MONEY} overdue disputed
      }
    }
  }
}`;

export const STAFF_PAYMENTS = `query StaffPayments($first: Int, $after: String, $filter: StaffPaymentFilter) {
  payments(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id status channel amount ${MONEY} refunded ${MONEY} disputed reviewReason createdAt
        patient { id displayName }
      }
    }
  }
}`;

export const RESOLVE_REVIEW = `mutation ResolvePaymentReview($input: ResolvePaymentReviewInput!) {
  resolvePaymentReview(input: $input) { payment { id status reviewReason } errors { code field message } }
}`;

export const PAPER_QUEUE = `query PaperStatementQueue($first: Int, $after: String, $status: PaperStatementStatus) {
  paperStatementQueue(first: $first, after: $after, status: $status) {
    pageInfo { hasNextPage endCursor }
    edges { node { id status createdAt mailedAt patient { id displayName } invoices { id number } } }
  }
}`;

export const MARK_MAILED = `mutation MarkPaperStatementMailed($id: ID!) {
  markPaperStatementMailed(id: $id) { request { id status mailedAt } errors { code field message } }
}`;

export const LOCATIONS = `query Locations { locations { id name timezone } }`;

export const RECEIVABLES = `query Receivables($locationId: ID) {
  receivables(locationId: $locationId) {
    billed ${MONEY} collected ${MONEY} outstanding ${MONEY} insurancePending ${MONEY}
    aging { bucket amount ${MONEY} invoiceCount }
  }
}`;

export const COLLECTIONS = `query CollectionsReport($from: Date!, $to: Date!, $interval: ReportInterval!, $locationId: ID) {
  collectionsReport(from: $from, to: $to, interval: $interval, locationId: $locationId) {
    start billed ${MONEY} collected ${MONEY} refunded ${MONEY} adjusted ${MONEY}
  }
}`;

export const CREATE_EXPORT = `mutation CreateExport($input: CreateExportInput!) {
  createExport(input: $input) { url expiresAt errors { code field message } }
}`;

export const AUDIT_TRAIL = `query AuditTrail($first: Int, $after: String, $filter: AuditFilter) {
  auditTrail(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id occurredAt actor { id email } actorRole action resourceType resourceId patientId
        outcome ipAddress requestId
      }
    }
  }
}`;
