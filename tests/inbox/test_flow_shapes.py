"""What the case flows' own nodes assume of the flows built with them, checked on every registered flow."""

from workflows.inbox import registry
from workflows.inbox.flows import Join, View


def _joins():
    return [(flow_class, node) for flow_class in registry.FLOWS for node in flow_class.instance.nodes()
            if isinstance(node, Join)]


def test_every_branch_a_join_waits_for_ends_in_a_persons_task():
    """The join decides whether it is done as a branch arrives, in the read that finds its task (one statement).
    That holds when every branch ends in a person's task, which completes on its own click, after the split has
    made all its branches; a branch ending in code that runs at once (a Function) could arrive before a sibling's
    task exists, and the join would go on too early."""
    joins = _joins()
    assert joins, "no flow has a join: the check checks nothing"
    for flow_class, join in joins:
        sources = [edge.src for edge in join._incoming()]
        assert sources, f"{flow_class.__name__}.{join.name} has no branch"
        assert all(isinstance(source, View) for source in sources), (
            f"{flow_class.__name__}.{join.name} waits for {[type(s).__name__ for s in sources]}")
