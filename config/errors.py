"""The one error the settings raise."""

from __future__ import annotations


class SettingsError(Exception):
    """The environment does not describe a service that may start."""
