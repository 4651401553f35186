from django.db import migrations

# A frozen copy: migrations must not import app code that can change later.
SECTORS = [
    ("elected-officials", "Mayor and council members", "mayor_council"),
    ("community-liaisons", "Community liaisons in city government", "city_staff"),
    ("city-service-providers", "Service providers in city government", "city_staff"),
    ("public-safety-directors", "Public-safety directors", "law_enforcement"),
    ("emergency-services", "Emergency-services coordinators", "city_staff"),
    ("sworn-officers", "Sworn officers", "law_enforcement"),
    ("black-community", "Black community and advocacy organisations", "community"),
    ("hispanic-latino-community", "Hispanic/Latino community organisations", "community"),
    ("asian-american-community", "Asian American community organisations", "community"),
    ("native-american-community", "Native American community organisations", "community"),
    ("lgbtq-community", "LGBTQ+ community organisations", "community"),
    ("jewish-leaders", "Jewish leaders", "community"),
    ("muslim-leaders", "Muslim leaders", "community"),
    ("christian-leaders", "Christian leaders", "community"),
    ("interfaith-leaders", "Interfaith leaders", "community"),
    ("public-health", "Public-health professionals", "city_staff"),
    ("academics", "Academics", "community"),
    ("housing-services", "Social services: housing", "community"),
    ("youth-services", "Social services: youth", "community"),
    ("mental-health-services", "Social services: mental health", "community"),
    ("refugee-services", "Social services: refugees", "community"),
    ("school-administrators", "School administrators", "city_staff"),
    ("university-administrators", "University administrators", "community"),
    ("human-rights-commissioners", "Community-relations and human-rights commissioners",
     "city_staff"),
    ("assistant-us-attorneys", "Assistant US Attorneys", "law_enforcement"),
    ("doj-community-engagement", "DOJ community-engagement officials", "law_enforcement"),
]


def add_sectors(apps, schema_editor):
    Sector = apps.get_model("stakeholders", "Sector")
    for position, (slug, name, leg) in enumerate(SECTORS):
        Sector.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "usual_leg": leg, "recommended": True, "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("stakeholders", "0001_initial")]
    operations = [migrations.RunPython(add_sectors, migrations.RunPython.noop)]
