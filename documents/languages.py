"""The languages documents are written in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    """The languages a document is written in: one of the UI languages, or both as parallel text."""

    EN = "en", _("English")
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    BILINGUAL = "bilingual", _("Chinese and English (parallel text)")


def language_locale(language: str) -> str:
    """Return the locale a document in `language` is rendered under (parallel text: Chinese governs)."""
    return Language.ZH_HANS.value if language == Language.BILINGUAL else language


def language_needs_cjk(language: str) -> bool:
    return language in (Language.ZH_HANS, Language.BILINGUAL)
