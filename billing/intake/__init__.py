"""Charges from the clinical system: API clients, FHIR ChargeItem bundles, held charges."""
