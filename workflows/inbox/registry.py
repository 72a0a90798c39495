"""The flows whose tasks the inbox shows, each found by the business object its cases are about.

A product registers its flow from its `AppConfig.ready`; the services then move a case on with
`workflows.inbox.services.complete_step(obj, "<step>", user)` and never import the flow.
"""

from __future__ import annotations

from django.db import models

FLOWS: list = []
_BY_MODEL: dict[type[models.Model], type] = {}


def register(flow_class) -> None:
    """Register a product's flow; its `case_model` is the business object its processes carry."""
    model = getattr(flow_class, "case_model", None)
    if model is None:
        raise RuntimeError(f"{flow_class.__name__} names no case_model.")
    known = _BY_MODEL.get(model)
    if known is not None and known is not flow_class:
        raise RuntimeError(f"{model.__name__} already has the flow {known.__name__}.")
    _BY_MODEL[model] = flow_class
    if flow_class not in FLOWS:
        FLOWS.append(flow_class)


def flow_for(obj_or_model) -> type:
    """Return the flow class of a business object (or of its model)."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    model = model._meta.concrete_model
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise LookupError(f"No flow is registered for {model.__name__}.") from None


def human_nodes() -> list:
    """Return every human step of every flow, for the task-kind filter (a short, fixed list)."""
    return [node for flow_class in FLOWS for node in flow_class.instance.nodes()
            if getattr(node, "task_type", "") == "HUMAN"]
