"""Test data builders (no tests here)."""
