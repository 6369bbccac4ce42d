from tortoise import migrations
from tortoise.migrations import operations as ops
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
    ]
