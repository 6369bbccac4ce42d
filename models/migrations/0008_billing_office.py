from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import ReviewResolution
from models.exports import ExportKind
from models.patients import new_account_number
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

async def _give_account_numbers(apps, schema_editor):
    """A random account number for each patient that has none (retrying a number taken)."""
    client = schema_editor.client
    dialect = client.capabilities.dialect
    mark = (lambda n: f"${n}") if dialect == "postgres" else (lambda n: "?")
    _, rows = await client.execute_query("SELECT id FROM patient WHERE account_number IS NULL")
    taken = set()
    for row in rows:
        number = new_account_number()
        while number in taken:
            number = new_account_number()
        taken.add(number)
        await client.execute_query(
            f"UPDATE patient SET account_number = {mark(1)} WHERE id = {mark(2)}",
            [number, row["id"]],
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0007_account_security')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Coverage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name='coverages', on_delete=OnDelete.CASCADE)),
                ('payer_name', fields.CharField(max_length=200)),
                ('member_id_ct', fields.TextField(unique=False)),
                ('group_number', fields.CharField(null=True, max_length=64)),
                ('priority', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'coverage', 'app': 'models', 'unique_together': (('patient', 'priority'),), 'pk_attr': 'id', 'table_description': 'One insurance policy of a patient, its member id encrypted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExportLink',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharEnumField(description='INVOICES: INVOICES\nPAYMENTS: PAYMENTS\nRECEIVABLES_AGING: RECEIVABLES_AGING\nCOLLECTIONS: COLLECTIONS\nREVENUE_BY_SERVICE: REVENUE_BY_SERVICE', enum_type=ExportKind, max_length=24)),
                ('from_date', fields.DateField(null=True)),
                ('to_date', fields.DateField(null=True)),
                ('location_id', fields.BigIntField(null=True)),
                ('columns', fields.TextField(unique=False)),
                ('requested_by_id', fields.BigIntField()),
                ('requested_by_role', fields.CharField(default='', max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('downloaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('download_count', fields.IntField(default=0)),
            ],
            options={'table': 'export_link', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A short-lived link to a CSV export. Only the SHA-256 of the random token is stored.'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Invoice',
            index=Index(fields=['issued_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Invoice',
            index=Index(fields=['location_id', 'issued_at']),
        ),
        ops.AddIndex(
            model_name='Invoice',
            index=Index(fields=['status', 'issued_at']),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['created_at']),
        ),
        ops.AlterModelOptions(
            name='Patient',
            options={'table': 'patient', 'app': 'models', 'indexes': [Index(fields=['last_name_lookup', 'date_of_birth_lookup']), Index(fields=['last_name_lookup', 'id'])], 'pk_attr': 'id', 'table_description': 'A person billed by us. Every PHI column holds AES-GCM ciphertext (``*_ct``).'},
        ),
        # Existing patients get an account number before the column becomes required and
        # unique: added as nullable, filled one row at a time, then altered.
        ops.AddField(
            model_name='Patient',
            name='account_number',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.RunPython(_give_account_numbers, ops.RunPython.noop),
        ops.AlterField(
            model_name='Patient',
            name='account_number',
            field=fields.CharField(unique=True, max_length=16),
        ),
        ops.AddField(
            model_name='Patient',
            name='date_of_birth_lookup',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
        ops.AddField(
            model_name='Patient',
            name='first_name_lookup',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Patient',
            name='last_name_lookup',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Patient',
            name='mailing_address_ct',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Patient',
            name='phone_lookup',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Patient',
            index=Index(fields=['last_name_lookup', 'date_of_birth_lookup']),
        ),
        ops.AddIndex(
            model_name='Patient',
            index=Index(fields=['last_name_lookup', 'id']),
        ),
        ops.AddField(
            model_name='Payment',
            name='received_currency',
            field=fields.CharField(null=True, max_length=3),
        ),
        ops.AddField(
            model_name='Payment',
            name='received_minor',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Payment',
            name='review_note',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='Payment',
            name='review_resolution',
            field=fields.CharEnumField(null=True, description='APPLY: APPLY\nAPPLY_AS_CREDIT: APPLY_AS_CREDIT\nREFUND: REFUND', enum_type=ReviewResolution, max_length=20),
        ),
        ops.AddField(
            model_name='Payment',
            name='reviewed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Payment',
            name='reviewed_by_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['patient_id', 'created_at']),
        ),
    ]
