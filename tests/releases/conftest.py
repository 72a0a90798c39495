"""Releases move the money of a product's cases: the factoring world provides them."""

from tests.factoring.conftest import world  # noqa: F401
