"""setReminderChannels: a patient turns reminder emails or texts off and on again; the
reminder scheduler then leaves the channel out. Staff have no reminders to choose."""

from __future__ import annotations

import httpx

from billing.notifications.outbox import reachable_channels
from models.audit import AuditEvent
from models.enums import Role
from models.notifications import NotificationChannel
from models.patients import Patient
from tests.support.factories.auth import encrypt
from tests.support.factories.invoices import patient_caller, staff_caller
from tests.support.graphql_client import gql

SET_CHANNELS = """
mutation($email: Boolean, $sms: Boolean) {
  setReminderChannels(email: $email, sms: $sms) { email sms errors { code field message } }
}
"""


async def test_a_patient_turns_texts_off_and_on_again(client: httpx.AsyncClient) -> None:
    ada = await patient_caller("ada@example.org")
    await Patient.filter(id=ada.patient_id).update(
        phone_ct=encrypt("+15555550123"), email_ct=encrypt("ada@example.org"), sms_consent=True
    )
    assert await reachable_channels(ada.patient_id) == [
        NotificationChannel.EMAIL,
        NotificationChannel.SMS,
    ]

    off = await gql(client, SET_CHANNELS, {"sms": False}, token=ada.token)

    assert off["data"]["setReminderChannels"] == {"email": True, "sms": False, "errors": []}
    assert await reachable_channels(ada.patient_id) == [NotificationChannel.EMAIL]

    both = await gql(client, SET_CHANNELS, {"sms": True, "email": False}, token=ada.token)

    assert both["data"]["setReminderChannels"] == {"email": False, "sms": True, "errors": []}
    assert await reachable_channels(ada.patient_id) == [NotificationChannel.SMS]
    recorded = await AuditEvent.filter(action="notifications.channels_chosen")
    assert [(row.patient_id, row.outcome) for row in recorded] == [
        (ada.patient_id, "SUCCESS"),
        (ada.patient_id, "SUCCESS"),
    ]


async def test_staff_have_no_reminder_channels(client: httpx.AsyncClient) -> None:
    staff = await staff_caller(Role.BILLING_STAFF)

    body = await gql(client, SET_CHANNELS, {"sms": False}, token=staff.token)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
