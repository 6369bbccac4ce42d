from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_payments_as_stripe_behaves')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LocationLogo',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.OneToOneField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='logo', on_delete=OnDelete.CASCADE)),
                ('content_type', fields.CharField(max_length=32)),
                ('content', fields.BinaryField()),
                ('byte_size', fields.IntField()),
                ('uploaded_by_id', fields.BigIntField(null=True)),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'location_logo', 'app': 'models', 'pk_attr': 'id', 'table_description': "The logo an admin uploaded for a location's letterhead: checked PNG or SVG bytes,"},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Location',
            options={'table': 'location', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A clinic or site that issues invoices. Invoice numbers run per location. Its name,'},
        ),
        ops.AddField(
            model_name='Location',
            name='accent_color',
            field=fields.CharField(default='#1F4E79', max_length=7),
        ),
        ops.AddField(
            model_name='Location',
            name='phone',
            field=fields.CharField(default='', max_length=40),
        ),
    ]
