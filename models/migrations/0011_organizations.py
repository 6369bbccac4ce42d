from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import InvoiceStatus, PaymentChannel
from models.notifications import NotificationKind
from models.organizations import CollectionsOutcome, CollectionsTier
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint


# Making invoice.patient_id and payment.patient_id nullable rebuilds both tables on SQLite
# (CREATE new, copy, DROP old, RENAME). With foreign keys on, that DROP would run the
# ON DELETE actions of every table pointing at them (deleting invoice lines) or fail: as
# SQLite's docs prescribe, turn foreign keys off around the rebuild (possible only outside
# a transaction, hence atomic = False) and check every reference before turning them on.
# The rebuilt tables also lose their indexes and table-level UNIQUE constraints: the ones
# there were are created again, and the models' unique_together as unique indexes.
_REBUILT = ("invoice", "payment")
_UNIQUE_TOGETHER = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_invoice_location_number" '
    'ON "invoice" ("location_id", "number")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_payment_patient_idempotency" '
    'ON "payment" ("patient_id", "idempotency_key")',
)
_saved_indexes: list[str] = []


async def _sqlite_foreign_keys_off(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    rows = await client.execute_query_dict(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({', '.join(repr(name) for name in _REBUILT)})"
    )
    _saved_indexes[:] = [row["sql"] for row in rows]
    await client.execute_script("PRAGMA foreign_keys=OFF")


async def _sqlite_foreign_keys_on(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    for statement in _saved_indexes:
        await client.execute_script(statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    for statement in _UNIQUE_TOGETHER:
        await client.execute_script(statement)
    broken = await client.execute_query_dict("PRAGMA foreign_key_check")
    await client.execute_script("PRAGMA foreign_keys=ON")
    if broken:
        raise RuntimeError(f"0011_organizations left broken references: {broken[:5]}")


class Migration(migrations.Migration):
    dependencies = [('models', '0010_clinical_intake')]

    initial = False
    atomic = False

    operations = [
        ops.RunPython(_sqlite_foreign_keys_off, ops.RunPython.noop),
        ops.CreateModel(
            name='Organization',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('billing_email', fields.CharField(max_length=320)),
                ('payment_terms_days', fields.IntField()),
                ('credit_limit_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('collections_tier', fields.CharEnumField(description='STANDARD: STANDARD\nENTERPRISE: ENTERPRISE', enum_type=CollectionsTier, max_length=16)),
                ('requires_purchase_order', fields.BooleanField(default=False)),
                ('collections_paused', fields.BooleanField(default=False)),
                ('collections_paused_reason', fields.CharField(default='', max_length=500)),
                ('invoices_issued', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'organization', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A clinic, hospital or supplier that buys on net terms against purchase orders.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CollectionsStep',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='collections_steps', on_delete=OnDelete.CASCADE)),
                ('invoice_id', fields.BigIntField()),
                ('step', fields.CharField(max_length=32)),
                ('outcome', fields.CharEnumField(description='SENT: SENT\nFLAGGED: FLAGGED\nSKIPPED: SKIPPED', enum_type=CollectionsOutcome, max_length=8)),
                ('taken_on', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'collections_step', 'app': 'models', 'unique_together': (('invoice_id', 'step'),), 'pk_attr': 'id', 'table_description': 'One dunning step taken for one invoice. Unique per invoice and step, so a second run'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrganizationInvitation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=320)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_attempts', fields.IntField(default=0)),
                ('invited_by_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'organization_invitation', 'app': 'models', 'pk_attr': 'id', 'table_description': "The one-time code staff give an organization's billing user to activate an account,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrganizationStatementLink',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='statement_links', on_delete=OnDelete.CASCADE)),
                ('month', fields.DateField()),
                ('requested_by_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('downloaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('download_count', fields.IntField(default=0)),
            ],
            options={'table': 'organization_statement_link', 'app': 'models', 'pk_attr': 'id', 'table_description': "A short-lived link to an organization's monthly PDF statement. Only the SHA-256 of"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Invoice',
            name='patient',
            field=fields.ForeignKeyField('models.Patient', source_field='patient_id', null=True, db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Invoice',
            name='status',
            field=fields.CharEnumField(default=InvoiceStatus.OPEN, description='OPEN: OPEN\nPENDING_INSURANCE: PENDING_INSURANCE\nPARTIALLY_PAID: PARTIALLY_PAID\nPAID: PAID\nVOID: VOID\nPROCESSING: PROCESSING', enum_type=InvoiceStatus, max_length=17),
        ),
        ops.AddField(
            model_name='Invoice',
            name='collections_disputed',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Invoice',
            name='organization',
            field=fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Invoice',
            name='purchase_order_number',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Invoice',
            index=Index(fields=['organization_id', 'issued_at']),
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='INSTALLMENT_DUE_SOON: INSTALLMENT_DUE_SOON\nINSTALLMENT_FAILED: INSTALLMENT_FAILED\nINSTALLMENT_NEEDS_AUTHENTICATION: INSTALLMENT_NEEDS_AUTHENTICATION\nINVOICE_OVERDUE: INVOICE_OVERDUE\nINVOICE_READY: INVOICE_READY\nPASSWORD_RESET: PASSWORD_RESET\nPASSWORD_RESET_REQUIRED: PASSWORD_RESET_REQUIRED\nPASSWORD_CHANGED: PASSWORD_CHANGED\nMFA_CHANGED: MFA_CHANGED\nORGANIZATION_PAYMENT_REMINDER: ORGANIZATION_PAYMENT_REMINDER', enum_type=NotificationKind, max_length=32),
        ),
        ops.AddField(
            model_name='Notification',
            name='organization',
            field=fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterModelOptions(
            name='Payment',
            options={'table': 'payment', 'app': 'models', 'unique_together': (('patient', 'idempotency_key'), ('organization', 'idempotency_key')), 'indexes': [Index(fields=['created_at', 'id']), Index(fields=['patient_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One Stripe PaymentIntent, or one offline payment, spread over invoices. Exactly one'},
        ),
        ops.AlterField(
            model_name='Payment',
            name='channel',
            field=fields.CharEnumField(description='CARD: CARD\nCREDIT_BALANCE: CREDIT_BALANCE\nCHECK: CHECK\nCASH: CASH\nBANK_TRANSFER: BANK_TRANSFER\nBANK_DEBIT: BANK_DEBIT', enum_type=PaymentChannel, max_length=14),
        ),
        ops.AlterField(
            model_name='Payment',
            name='patient',
            field=fields.ForeignKeyField('models.Patient', source_field='patient_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Payment',
            name='organization',
            field=fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddConstraint(
            model_name='Payment',
            constraint=UniqueConstraint(fields=('organization', 'idempotency_key'), name=None),
        ),
        ops.AddField(
            model_name='User',
            name='organization',
            field=fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(_sqlite_foreign_keys_on, ops.RunPython.noop),
    ]
