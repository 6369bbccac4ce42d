"""The patient's own choice of reminder channels."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import Info
from tortoise.transactions import in_transaction

from auth.scopes import Scope
from billing.errors import DomainError
from billing.notifications.outbox import choose_channels
from models.enums import AuditOutcome
from models.notifications import NotificationChannel
from schema.common import fields
from schema.common.errors import Payload, UserError
from schema.common.permissions import requires
from schema.context import GraphQLContext

CHANNELS_ACTION = "notifications.channels_chosen"


@strawberry.type(description="The result of setReminderChannels.")
class SetReminderChannelsPayload(Payload):
    email: bool | None = strawberry.field(
        default=None, description="Whether reminders may be emailed; null on errors."
    )
    sms: bool | None = strawberry.field(
        default=None,
        description=(
            "Whether reminders may be texted (texts also need the consent given to staff); "
            "null on errors."
        ),
    )


@strawberry.type
class NotificationMutation:
    @fields.mutation(
        description=(
            "Turn payment reminders by email or text message on or off for the signed-in "
            "patient; a channel left null stays as it is."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def set_reminder_channels(
        self,
        info: Info[GraphQLContext, Any],
        email: bool | None = None,
        sms: bool | None = None,
    ) -> SetReminderChannelsPayload:
        context = info.context
        choices = {
            channel: wanted
            for channel, wanted in (
                (NotificationChannel.EMAIL, email),
                (NotificationChannel.SMS, sms),
            )
            if wanted is not None
        }
        try:
            patient_id = context.own_patient_id("Only patients receive reminders.")
            async with in_transaction():
                off = await choose_channels(patient_id, choices)
                await context.audit.write_now(
                    CHANNELS_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type="Patient",
                    resource_id=str(patient_id),
                    patient_id=patient_id,
                )
        except DomainError as error:
            context.audit.record_failure(CHANNELS_ACTION, error, resource_type="Patient")
            return SetReminderChannelsPayload(errors=[UserError.from_domain_error(error)])
        return SetReminderChannelsPayload(
            email=NotificationChannel.EMAIL not in off, sms=NotificationChannel.SMS not in off
        )
