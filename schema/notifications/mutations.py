"""The patient's own choice of reminder channels."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from billing.notifications import use_cases
from billing.notifications.use_cases import SET_REMINDER_CHANNELS
from models.notifications import NotificationChannel
from schema.common import fields
from schema.common.errors import Payload
from schema.common.permissions import requires
from schema.context import GraphQLContext


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
        audit=SET_REMINDER_CHANNELS,
    )
    async def set_reminder_channels(
        self,
        info: Info[GraphQLContext, Any],
        email: Annotated[
            bool | None,
            strawberry.argument(
                description="Emails on (true) or off (false); null leaves them as they are."
            ),
        ] = None,
        sms: Annotated[
            bool | None,
            strawberry.argument(
                description="Texts on (true) or off (false); null leaves them as they are."
            ),
        ] = None,
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
        off = await use_cases.set_reminder_channels(
            context.audit, context.own_patient_id("Only patients receive reminders."), choices
        )
        return SetReminderChannelsPayload(
            email=NotificationChannel.EMAIL not in off, sms=NotificationChannel.SMS not in off
        )
