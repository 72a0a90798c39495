"""Helpers that turn domain objects into the plain values document templates print."""

from __future__ import annotations

from decimal import Decimal

from scf.money import format_rate, to_chinese_capital, to_english_words


def party(organization) -> dict | None:
    """Return the facts printed about a party, or None when there is no party."""
    if organization is None:
        return None
    return {
        "legal_name": organization.legal_name,
        "legal_name_en": organization.legal_name_en or organization.legal_name,
        "uscc": organization.uscc,
        "address": organization.registered_address,
        "representative": organization.legal_representative,
    }


def amount(value: Decimal | None, currency: str = "CNY") -> dict | None:
    """Return an amount in figures and in words (English, and Chinese capitals for CNY)."""
    if value is None:
        return None
    return {
        "value": value,
        "currency": currency,
        "figures": f"{value:,.2f}",
        "words_en": to_english_words(value, currency),
        "words_zh": to_chinese_capital(value) if currency == "CNY" else "",
    }


def percent(rate: Decimal | None, places: int = 4) -> str | None:
    """Return a rate fraction as a percentage string without rounding it away (0.065 → 6.50%)."""
    return format_rate(rate)
