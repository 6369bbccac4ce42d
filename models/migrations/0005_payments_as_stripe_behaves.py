from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import InstallmentStatus, PaymentStatus
from models.notifications import NotificationKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_plans')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('action', fields.CharField(max_length=64)),
                ('actor_id', fields.BigIntField()),
                ('key', fields.CharField(max_length=255)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('resource_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'idempotency_key', 'app': 'models', 'unique_together': (('action', 'actor_id', 'key'),), 'pk_attr': 'id', 'table_description': "A client's key for one money request, kept with a fingerprint of what it asked and"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Installment',
            name='status',
            field=fields.CharEnumField(default=InstallmentStatus.SCHEDULED, description='SCHEDULED: SCHEDULED\nPAID: PAID\nFAILED: FAILED\nCANCELED: CANCELED\nNEEDS_AUTHENTICATION: NEEDS_AUTHENTICATION', enum_type=InstallmentStatus, max_length=20),
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='INSTALLMENT_DUE_SOON: INSTALLMENT_DUE_SOON\nINSTALLMENT_FAILED: INSTALLMENT_FAILED\nINSTALLMENT_NEEDS_AUTHENTICATION: INSTALLMENT_NEEDS_AUTHENTICATION\nINVOICE_OVERDUE: INVOICE_OVERDUE', enum_type=NotificationKind, max_length=32),
        ),
        ops.AlterField(
            model_name='Payment',
            name='status',
            field=fields.CharEnumField(default=PaymentStatus.PENDING, description='PENDING: PENDING\nREQUIRES_ACTION: REQUIRES_ACTION\nPROCESSING: PROCESSING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED\nCANCELED: CANCELED\nREFUNDED: REFUNDED\nPARTIALLY_REFUNDED: PARTIALLY_REFUNDED', enum_type=PaymentStatus, max_length=18),
        ),
    ]
