import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(env_extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_check_deploy_passes_with_production_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_extra={
        "DEBUG": "false", "SECRET_KEY": "k" * 20 + "Zq8#x2!pL0vR5tY7uI9oP3aS6dF1gH4j", "ALLOWED_HOSTS": "scf.example.com",
    })
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_debug_is_on():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_extra={"DEBUG": "true"})
    assert result.returncode != 0


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DJANGO_SETTINGS_MODULE": "scf.settings.production", "ALLOWED_HOSTS": "x"})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_chinese_pages_group_amounts_by_thousands_as_the_pdfs_do():
    from decimal import Decimal

    from django.template import Context, Template
    from django.utils import translation

    template = Template('{{ amount|floatformat:"2g" }}')
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert template.render(Context({"amount": Decimal("1300000.5")})) == "1,300,000.50"


def test_history_names_actions_in_the_readers_language(db):
    from django.utils import translation

    from scf.audit.services import audit_record, history_for
    from tests.factories import OrganizationFactory

    organization = OrganizationFactory()
    audit_record(action="parties.organization.submit", target=organization)
    audit_record(action="parties.organization.some_new_action", target=organization)
    with translation.override("zh-hans"):
        labels = [str(r.action_label) for r in history_for(organization)]
    assert labels == ["已提交", "Some new action"]  # an action without a label yet still reads as words
    with translation.override("en"):
        assert str(history_for(organization)[0].action_label) == "Submitted"


def test_quote_errors_read_in_the_users_language():
    import datetime
    from decimal import Decimal

    from django.utils import translation

    from workflows.factoring.calculations import QuoteError, factoring_quote

    with translation.override("zh-hans"):
        try:
            factoring_quote(confirmed_amount=Decimal("100"), advance_rate=Decimal("0.8"), annual_rate=Decimal("0.06"),
                            fee_rate=Decimal("0"), value_date=datetime.date(2026, 11, 25),
                            due_date=datetime.date(2027, 11, 25), max_tenor_days=180)
        except QuoteError as error:
            assert error.message == "期限 365 天超过授信允许的最长期限 180 天。"
        else:
            raise AssertionError("a tenor over the maximum was quoted")


def test_the_demo_writes_its_mails_to_files_and_a_static_collect_leaves_out_what_no_page_uses(tmp_path):
    """On a developer machine a mail is a file in var/mail/; viewflow's unused frontend and source maps are
    not collected (scf/core/staticfiles.py)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "EMAIL_BACKEND",
                                                             "EMAIL_FILE_PATH"}}
    env["DJANGO_SETTINGS_MODULE"] = "scf.settings.local"
    code = ("import django; django.setup(); from django.conf import settings; "
            "from django.contrib.staticfiles.finders import get_finders; "
            "from django.apps import apps; "
            "patterns = apps.get_app_config('staticfiles').ignore_patterns; "
            "files = [p for f in get_finders() for p, _s in f.list(patterns)]; "
            "print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH); "
            "print(sum(p.startswith('viewflow/') for p in files), sum(p.endswith('.map') for p in files)); "
            "print(sorted(p for p in files if p.startswith(('css/', 'img/', 'js/', 'admin/css/base'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    backend, path, counts, ours = result.stdout.strip().splitlines()[-4:]
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert path == str(ROOT / "var" / "mail")
    assert counts == "0 0"
    for needed in ("css/portal.css", "img/favicon.svg", "img/logo.svg", "js/portal.js", "admin/css/base.css"):
        assert needed in ours
