from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.fields import get_task_ref

from . import registry
from .models import StepDeadline


def step_choices() -> list[tuple[str, str]]:
    """Return every human step of every flow, by reference, with its title."""
    return sorted(((get_task_ref(node), f"{node.task_title} ({get_task_ref(node)})")
                   for node in registry.human_nodes()), key=lambda choice: choice[0])


class StepDeadlineForm(forms.ModelForm):
    step = forms.ChoiceField(label=_("step"), choices=step_choices)

    class Meta:
        model = StepDeadline
        fields = ["step", "business_days"]


@admin.register(StepDeadline)
class StepDeadlineAdmin(admin.ModelAdmin):
    form = StepDeadlineForm
    list_display = ["step", "title", "business_days"]
    list_editable = ["business_days"]
    search_fields = ["step"]

    @admin.display(description=_("title"))
    def title(self, obj: StepDeadline) -> str:
        return dict(step_choices()).get(obj.step, "—")
