from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_statements')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='CreditEntry',
            index=Index(fields=['patient_id', 'currency']),
        ),
        ops.AddIndex(
            model_name='CreditEntry',
            index=Index(fields=['payment_id']),
        ),
        ops.AddIndex(
            model_name='Dispute',
            index=Index(fields=['payment_id', 'status']),
        ),
        ops.AddField(
            model_name='Invoice',
            name='disputed',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Invoice',
            name='reserved_minor',
            field=fields.BigIntField(default=0),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['invoice_id', 'kind']),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['payment_id']),
        ),
        ops.AddField(
            model_name='Payment',
            name='review_reason',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='Payment',
            name='stripe_event_created',
            field=fields.BigIntField(null=True),
        ),
        ops.AddIndex(
            model_name='PaymentAllocation',
            index=Index(fields=['invoice_id', 'status']),
        ),
        ops.AddField(
            model_name='Refund',
            name='failure_message',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='Refund',
            name='settled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Refund',
            index=Index(fields=['payment_id', 'status']),
        ),
        ops.AddIndex(
            model_name='Shipment',
            index=Index(fields=['invoice_id']),
        ),
        ops.AddIndex(
            model_name='ShipmentEvent',
            index=Index(fields=['shipment_id']),
        ),
        ops.AddIndex(
            model_name='ShipmentItem',
            index=Index(fields=['shipment_id']),
        ),
    ]
