"""Patients: creation with encrypted PHI and the decrypted profile (``rules``), and
re-encrypting stored PHI under a new key (``phi_rotation``)."""
