"""The flows whose tasks the inbox shows; each product app adds its flow when it is ready."""

from __future__ import annotations

FLOWS: list = []


def register(flow_class) -> None:
    if flow_class not in FLOWS:
        FLOWS.append(flow_class)


def human_nodes() -> list:
    """Return every human step of every flow, for the task-kind filter (a short, fixed list)."""
    return [node for flow_class in FLOWS for node in flow_class.instance.nodes()
            if getattr(node, "task_type", "") == "HUMAN"]
