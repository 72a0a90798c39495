"""A person's own preferences: the portal's language and the time zone pages show times in.

The language is the one the header's menu also sets (and sign-in restores); the time zone changes only how
moments are shown on pages (the history, notifications, the inbox). Business dates — value dates, due dates,
business days — and documents stay in the service's zone, whoever reads them.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from scf.parties.models import User
from scf.parties.validators import time_zone_names

from .login import set_language_cookie


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_lazy("Time zone"), required=False)

    class Meta:
        model = User
        fields = ("preferred_language", "time_zone")
        labels = {"preferred_language": _lazy("Language")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        service_zone = _("The service's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}
        self.fields["time_zone"].choices = [("", service_zone), *((name, name) for name in time_zone_names())]
        self.fields["time_zone"].help_text = User._meta.get_field("time_zone").help_text


def reader_time_zone(request) -> dict:
    """Context processor: the zone the page shows moments in (the person's, else the service's)."""
    user = getattr(request, "user", None)
    zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
    return {"reader_time_zone": zone if zone in time_zone_names() else settings.TIME_ZONE}


@login_required
def preferences(request):
    user = request.user
    form = PreferencesForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        language = form.cleaned_data["preferred_language"]
        translation.activate(language)
        messages.success(request, _("Your preferences are saved."))
        response = redirect("portal:preferences")
        set_language_cookie(response, language)
        return response
    return render(request, "portal/preferences.html", {"form": form}, status=400 if form.errors else 200)
