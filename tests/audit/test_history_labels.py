"""Every state change a history table can show has a name in the reader's language."""

from django.apps import apps
from django.utils import translation
from django_fsm import FSMFieldMixin

from scf.audit.services import ACTION_LABELS


def _transitions() -> set[str]:
    names = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, FSMFieldMixin):
                names.update(transition.name for transition in field.get_all_transitions(model))
    return names


def test_every_transition_of_every_model_has_a_history_label():
    assert sorted(_transitions() - set(ACTION_LABELS)) == []


def test_every_history_label_reads_in_chinese():
    with translation.override("en"):
        english = {name: str(label) for name, label in ACTION_LABELS.items()}
    with translation.override("zh-hans"):
        chinese = {name: str(label) for name, label in ACTION_LABELS.items()}
    assert sorted(name for name in ACTION_LABELS if chinese[name] == english[name]) == []
