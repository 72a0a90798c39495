import pytest

from scf.parties.demo import seed_demo
from scf.parties.models import User
from workflows.factoring.models import FactoringFinancing

PASSWORD = "Demo-Pass-1"


@pytest.fixture
def seal_settings(settings, tmp_path):
    settings.SEAL_PKCS12_FILE = str(tmp_path / "seal.p12")
    settings.SEAL_PKCS12_PASSWORD = "test-seal"
    return settings


@pytest.fixture
def demo(db, seal_settings):
    seed_demo(password=PASSWORD, lifecycle=False)
    return {
        "financing": FactoringFinancing.objects.order_by("pk").first(),
        "supplier": User.objects.get(username="supplier1"),
        "core": User.objects.get(username="core1"),
        "officer": User.objects.get(username="officer"),
        "ops": User.objects.get(username="ops"),
        "supplier2": User.objects.get(username="supplier2"),
    }
