"""CSV exports of invoices, payments, aging, collections and revenue by service, behind
short-lived opaque links, streamed from the database when downloaded."""
