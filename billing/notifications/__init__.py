"""Reminders to patients: the outbox (``outbox``), what a message says (``texts``, no PHI),
the patient's clock (``clock``), queueing due reminders (``reminders``) and sending them
once each (``delivery``, ``senders``)."""
