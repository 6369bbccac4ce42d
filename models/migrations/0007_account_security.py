from tortoise import migrations
from tortoise.migrations import operations as ops
from models.notifications import NotificationKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_client_developers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PasswordReset',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='password_resets', on_delete=OnDelete.CASCADE)),
                ('nonce', fields.CharField(unique=True, max_length=64)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('forced', fields.BooleanField(default=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'password_reset', 'app': 'models', 'indexes': [Index(fields=['user_id', 'used_at'])], 'pk_attr': 'id', 'table_description': "A password-reset link sent to an account's address: single use, short-lived."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInGuard',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('failures', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('version', fields.BigIntField(default=0)),
                ('last_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sign_in_guard', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Failed attempts at one sign-in address, known or not: keyed by a keyed hash of the'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AuditChainHead',
            name='mac',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AlterModelOptions(
            name='Notification',
            options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['status', 'send_after'])], 'pk_attr': 'id', 'table_description': 'One message to a patient or to a user on one channel, queued once and sent once.'},
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='INSTALLMENT_DUE_SOON: INSTALLMENT_DUE_SOON\nINSTALLMENT_FAILED: INSTALLMENT_FAILED\nINSTALLMENT_NEEDS_AUTHENTICATION: INSTALLMENT_NEEDS_AUTHENTICATION\nINVOICE_OVERDUE: INVOICE_OVERDUE\nPASSWORD_RESET: PASSWORD_RESET\nPASSWORD_RESET_REQUIRED: PASSWORD_RESET_REQUIRED\nPASSWORD_CHANGED: PASSWORD_CHANGED\nMFA_CHANGED: MFA_CHANGED', enum_type=NotificationKind, max_length=32),
        ),
        ops.AlterField(
            model_name='Notification',
            name='patient',
            field=fields.ForeignKeyField('models.Patient', source_field='patient_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Notification',
            name='subject_id',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='Notification',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE),
        ),
        ops.RemoveField(model_name='User', name='failed_attempts'),
        ops.RemoveField(model_name='User', name='locked_until'),
        # SQLite rebuilds the notification table to make patient_id nullable and drops its
        # (status, send_after) index on the way; PostgreSQL keeps it. Same name either way.
        ops.RunSQL('CREATE INDEX IF NOT EXISTS "idx_notificatio_status_21a328" ON "notification" ("status", "send_after")'),
    ]
