"""Services move a case's flow on by step name, found through the registry by the object's model."""

import pytest

from workflows.factoring.flows import FactoringFlow
from workflows.factoring.models import FactoringFinancing, Receivable
from workflows.inbox import registry
from workflows.inbox.services import complete_step


def test_the_flow_is_found_by_the_business_objects_model():
    assert registry.flow_for(FactoringFinancing) is FactoringFlow
    assert registry.flow_for(FactoringFinancing(pk=1)) is FactoringFlow


def test_a_model_without_a_flow_is_an_error_naming_it():
    with pytest.raises(LookupError, match="Receivable"):
        registry.flow_for(Receivable)


def test_a_second_flow_for_the_same_model_is_refused():
    class Impostor:
        case_model = FactoringFinancing
        __name__ = "Impostor"

    with pytest.raises(RuntimeError, match="already has the flow"):
        registry.register(Impostor)


@pytest.mark.django_db
def test_an_unknown_step_is_an_error_not_a_silent_no_op():
    with pytest.raises(LookupError, match="no step 'sign_everything'"):
        complete_step(FactoringFinancing(pk=1), "sign_everything", None)


@pytest.mark.django_db
def test_a_case_without_a_process_has_no_task_to_complete():
    assert complete_step(FactoringFinancing(pk=987654), "review", None) is False
