from tortoise import migrations
from tortoise.migrations import operations as ops
from models.intake import HeldChargeStatus
from models.notifications import NotificationKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_remittances')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiClient',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('scopes', fields.CharField(max_length=200)),
                ('secret_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_client', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A system allowed to call the intake API. Its secret is kept only as an HMAC-SHA256'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HeldCharge',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('identifier_system', fields.CharField(max_length=255)),
                ('identifier_value', fields.CharField(max_length=128)),
                ('client_id', fields.BigIntField()),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name='held_charges', on_delete=OnDelete.RESTRICT)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='held_charges', on_delete=OnDelete.RESTRICT)),
                ('encounter', fields.CharField(max_length=128)),
                ('provider_name', fields.CharField(max_length=200)),
                ('code', fields.CharField(max_length=40)),
                ('description', fields.CharField(max_length=500)),
                ('sku', fields.CharField(null=True, max_length=64)),
                ('quantity', fields.IntField()),
                ('unit_price_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('service_date', fields.DateField()),
                ('status', fields.CharEnumField(default=HeldChargeStatus.HELD, description='HELD: HELD\nINVOICED: INVOICED\nWITHDRAWN: WITHDRAWN\nADJUSTED: ADJUSTED', enum_type=HeldChargeStatus, max_length=10)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', null=True, db_constraint=True, to_field='id', related_name='held_charges', on_delete=OnDelete.RESTRICT)),
                ('line_position', fields.IntField(null=True)),
            ],
            options={'table': 'held_charge', 'app': 'models', 'unique_together': (('identifier_system', 'identifier_value'),), 'indexes': [Index(fields=['status', 'patient_id', 'location_id', 'encounter'])], 'pk_attr': 'id', 'table_description': 'One ChargeItem as the clinical system sent it, until ``billing issue-held-charges``'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IntakeLocation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='intake_codes', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'intake_location', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The code by which the clinical system names a location (``urn:billing:location``).'},
            bases=['Model'],
        ),
        # INVOICE_READY: "a new bill is ready", when held charges become an invoice.
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='INSTALLMENT_DUE_SOON: INSTALLMENT_DUE_SOON\nINSTALLMENT_FAILED: INSTALLMENT_FAILED\nINSTALLMENT_NEEDS_AUTHENTICATION: INSTALLMENT_NEEDS_AUTHENTICATION\nINVOICE_OVERDUE: INVOICE_OVERDUE\nINVOICE_READY: INVOICE_READY\nPASSWORD_RESET: PASSWORD_RESET\nPASSWORD_RESET_REQUIRED: PASSWORD_RESET_REQUIRED\nPASSWORD_CHANGED: PASSWORD_CHANGED\nMFA_CHANGED: MFA_CHANGED', enum_type=NotificationKind, max_length=32),
        ),
    ]
