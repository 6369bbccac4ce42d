from tortoise import migrations
from tortoise.migrations import operations as ops
from models.notifications import NotificationChannel, NotificationKind, NotificationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_payments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='INSTALLMENT_DUE_SOON: INSTALLMENT_DUE_SOON\nINSTALLMENT_FAILED: INSTALLMENT_FAILED\nINVOICE_OVERDUE: INVOICE_OVERDUE', enum_type=NotificationKind, max_length=32)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=NotificationChannel, max_length=8)),
                ('status', fields.CharEnumField(default=NotificationStatus.QUEUED, description='QUEUED: QUEUED\nSENDING: SENDING\nSENT: SENT\nSKIPPED: SKIPPED\nFAILED: FAILED', enum_type=NotificationStatus, max_length=8)),
                ('dedupe_key', fields.CharField(unique=True, max_length=200)),
                ('send_after', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome_code', fields.CharField(default='', max_length=64)),
                ('provider_message_id', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['status', 'send_after'])], 'pk_attr': 'id', 'table_description': 'One message to a patient on one channel, queued once and sent once.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationOptOut',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name='notification_opt_outs', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=NotificationChannel, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification_opt_out', 'app': 'models', 'unique_together': (('patient', 'channel'),), 'pk_attr': 'id', 'table_description': 'A patient\'s refusal of a channel (an SMS "STOP"), kept apart from their consent.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Installment',
            name='failures',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Installment',
            name='last_attempted_on',
            field=fields.DateField(null=True),
        ),
        ops.AddIndex(
            model_name='Installment',
            index=Index(fields=['status', 'due_on']),
        ),
        ops.AddIndex(
            model_name='Installment',
            index=Index(fields=['status', 'next_attempt_on']),
        ),
        ops.AddField(
            model_name='PaymentPlan',
            name='retry_days',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddIndex(
            model_name='PaymentPlan',
            index=Index(fields=['patient_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='PaymentPlan',
            index=Index(fields=['status', 'created_at']),
        ),
    ]
