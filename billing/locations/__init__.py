"""Locations: the clinics and sites that issue invoices, each in its own time zone."""
