"""Shipments: parcels of an invoice's items and the carrier's tracking (``rules``), and
reads for the API."""
