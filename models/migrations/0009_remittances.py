from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import LedgerEntryKind
from models.remittances import RemittanceClaimStatus, RemittanceStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_billing_office')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Remittance',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payer_key', fields.CharField(max_length=80)),
                ('payer_name', fields.CharField(max_length=200)),
                ('trace_number', fields.CharField(max_length=80)),
                ('file_name', fields.CharField(max_length=255)),
                ('payment_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('status', fields.CharEnumField(description='POSTED: POSTED\nNEEDS_MATCHING: NEEDS_MATCHING', enum_type=RemittanceStatus, max_length=14)),
                ('claim_count', fields.IntField(default=0)),
                ('unmatched_count', fields.IntField(default=0)),
                ('uploaded_by_id', fields.BigIntField(null=True)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'remittance', 'app': 'models', 'unique_together': (('payer_key', 'trace_number'),), 'indexes': [Index(fields=['unmatched_count', 'id'])], 'pk_attr': 'id', 'table_description': "One 835 file: who paid, the payment's trace number and amount, its claims."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RemittanceClaim',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('remittance', fields.ForeignKeyField('models.Remittance', source_field='remittance_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.RESTRICT)),
                ('position', fields.IntField()),
                ('claim_number', fields.CharField(max_length=38)),
                ('status_code', fields.CharField(max_length=2)),
                ('payer_claim_number', fields.CharField(default='', max_length=50)),
                ('charged_minor', fields.BigIntField()),
                ('paid_minor', fields.BigIntField()),
                ('patient_responsibility_minor', fields.BigIntField()),
                ('write_off_minor', fields.BigIntField()),
                ('denied_minor', fields.BigIntField(default=0)),
                ('adjustments', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharEnumField(description='POSTED: POSTED\nUNMATCHED: UNMATCHED\nREVERSED: REVERSED', enum_type=RemittanceClaimStatus, max_length=9)),
                ('unmatched_reason', fields.CharField(default='', max_length=40)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', null=True, db_constraint=True, to_field='id', related_name='remittance_claims', on_delete=OnDelete.RESTRICT)),
                ('reverses', fields.ForeignKeyField('models.RemittanceClaim', source_field='reverses_id', null=True, db_constraint=True, to_field='id', related_name='reversals', on_delete=OnDelete.RESTRICT)),
                ('posted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'remittance_claim', 'app': 'models', 'unique_together': (('remittance', 'position'),), 'indexes': [Index(fields=['invoice_id', 'status']), Index(fields=['status', 'remittance_id'])], 'pk_attr': 'id', 'table_description': 'One claim (CLP) of a remittance, posted to an invoice or waiting for staff.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='LedgerEntry',
            name='kind',
            field=fields.CharEnumField(description='CHARGE: CHARGE\nINSURANCE_EXPECTED: INSURANCE_EXPECTED\nINSURANCE_PAID: INSURANCE_PAID\nINSURANCE_DENIED: INSURANCE_DENIED\nPAYMENT: PAYMENT\nREFUND: REFUND\nADJUSTMENT: ADJUSTMENT\nVOID: VOID\nINSURANCE_REVERSED: INSURANCE_REVERSED', enum_type=LedgerEntryKind, max_length=18),
        ),
    ]
