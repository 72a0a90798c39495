"""People signed in before the permission backend changed stay signed in.

A session keeps the path of the backend that signed its person in, and Django ends any session whose backend is no
longer configured: the sessions stored with Django's model backend are given the backend that replaced it
(scf.parties.backends.ModelBackendOneRead, which checks passwords and active users as Django's does).
"""

from django.db import migrations

OLD = "django.contrib.auth.backends.ModelBackend"
NEW = "scf.parties.backends.ModelBackendOneRead"
KEY = "_auth_user_backend"


def _move(apps, schema_editor, source: str, target: str) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    for session in Session.objects.using(schema_editor.connection.alias).iterator(chunk_size=2000):
        data = store.decode(session.session_data)
        if data.get(KEY) == source:
            data[KEY] = target
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def forwards(apps, schema_editor):
    _move(apps, schema_editor, OLD, NEW)


def backwards(apps, schema_editor):
    _move(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0011_search_trigram_indexes"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
