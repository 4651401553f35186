"""The directory's page query numbers a city's matching people from an index alone (issue 9):
(city, leg, full_name, id) for one leg, (city, full_name, id) carrying leg for all. They
take the place of (city, leg) and (city, full_name), which they cover; the new ones are
built before the old ones go."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0008_coordinator_flag"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["city", "leg", "full_name", "id"], name="person_city_leg_name_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["city", "full_name", "id"],
                include=("leg",),
                name="person_city_name_leg_idx",
            ),
        ),
        migrations.RemoveIndex(model_name="person", name="person_city_leg_idx"),
        migrations.RemoveIndex(model_name="person", name="person_city_name_idx"),
    ]
