"""Collections take money for the cases of a product: the factoring world provides them."""

from tests.factoring.conftest import world  # noqa: F401
