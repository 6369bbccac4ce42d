from tortoise import migrations
from tortoise.migrations import operations as ops
from models.statements import PaperStatementStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PaperStatementRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name='paper_statement_requests', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=PaperStatementStatus.REQUESTED, description='REQUESTED: REQUESTED\nMAILED: MAILED', enum_type=PaperStatementStatus, max_length=20)),
                ('dedupe_key', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('mailed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('mailed_by_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'paper_statement_request', 'app': 'models', 'indexes': [Index(fields=['status', 'id'])], 'pk_attr': 'id', 'table_description': "A patient's request for a statement by post. ``dedupe_key`` is unique per patient,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaperStatementInvoice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.ForeignKeyField('models.PaperStatementRequest', source_field='request_id', db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.CASCADE)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='paper_statement_entries', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'paper_statement_invoice', 'app': 'models', 'unique_together': (('request', 'invoice'),), 'pk_attr': 'id', 'table_description': 'One invoice of a paper statement request.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatementLink',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='statement_links', on_delete=OnDelete.CASCADE)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name='statement_links', on_delete=OnDelete.CASCADE)),
                ('requested_by_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('downloaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('download_count', fields.IntField(default=0)),
            ],
            options={'table': 'statement_link', 'app': 'models', 'pk_attr': 'id', 'table_description': "A short-lived link to an invoice's PDF statement. Only the SHA-256 of the random"},
            bases=['Model'],
        ),
    ]
