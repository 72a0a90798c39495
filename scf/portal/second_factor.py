"""The second step of signing in: a code from the authenticator app, or enrolling one on first sign-in."""

from __future__ import annotations

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from axes.utils import reset as axes_reset
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from scf.parties import second_factor as sf

from .forms import RecoveryCodesForm, SecondFactorForm


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return "/"


def _credentials(request) -> dict:
    return {"username": request.user.get_username()}


def _failed(request):
    """Count a wrong code as a failed login of this username and address (django-axes); lock out at the limit."""
    user_login_failed.send(sender=__name__, credentials=_credentials(request), request=request)
    if getattr(request, "axes_locked_out", False) or AxesProxyHandler.is_locked(request, _credentials(request)):
        return _locked(request)
    return None


def _locked(request):
    credentials = _credentials(request)
    logout(request)
    return get_lockout_response(request, None, credentials)


def _signed_in(request, device) -> None:
    otp_login(request, device)
    axes_reset(username=request.user.get_username())


@never_cache
@login_required
def verify(request):
    """Ask for the code of the enrolled app (or a recovery code); enrol first if there is no app yet."""
    if request.user.is_verified():
        return redirect(_next(request))
    if sf.confirmed_device(request.user) is None:
        return redirect(f"{reverse('second-factor-enrol')}?{urlencode({'next': _next(request)})}")
    if AxesProxyHandler.is_locked(request, _credentials(request)):
        return _locked(request)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = sf.second_factor_verify(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            _signed_in(request, device)
            return redirect(_next(request))
        locked = _failed(request)
        if locked is not None:
            return locked
        form.add_error("code", str(sf.WrongSecondFactor.default_message))
    return render(request, "registration/second_factor.html", {"form": form, "next": _next(request)},
                  status=400 if form.errors else 200)


@never_cache
@login_required
def enrol(request):
    """First sign-in: show the QR code and the secret of a new device; a first code from it confirms it.

    The recovery codes are shown once, in the answer to that confirmation, and never again.
    """
    if sf.confirmed_device(request.user) is not None:
        # Someone with the password alone must not replace the enrolled app.
        return redirect(f"{reverse('second-factor')}?{urlencode({'next': _next(request)})}")
    if AxesProxyHandler.is_locked(request, _credentials(request)):
        return _locked(request)
    device = sf.enrolment_device(request.user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = sf.device_confirm(device=device, code=form.cleaned_data["code"])
        except sf.WrongSecondFactor as error:
            locked = _failed(request)
            if locked is not None:
                return locked
            form.add_error("code", error.message)
        else:
            device.refresh_from_db()
            _signed_in(request, device)
            return render(request, "registration/recovery_codes.html", {"codes": codes, "next": _next(request)})
    return render(request, "registration/second_factor_enrol.html", {
        "form": form, "next": _next(request), "qr_svg": sf.qr_svg(device), "secret": sf.device_secret(device),
    }, status=400 if form.errors else 200)


@never_cache
@login_required
def recovery_codes(request):
    """Regenerate the recovery codes of a signed-in user after a current code from the app; show them once.

    The path is among the second-factor pages the middleware lets through, so the view itself asks
    for a session that was verified with the second factor.
    """
    if sf.confirmed_device(request.user) is None:
        return redirect(f"{reverse('second-factor-enrol')}?{urlencode({'next': request.path})}")
    if not request.user.is_verified():
        return redirect(f"{reverse('second-factor')}?{urlencode({'next': request.path})}")
    form = RecoveryCodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = sf.recovery_codes_regenerate(user=request.user, code=form.cleaned_data["code"])
        except (sf.WrongSecondFactor, sf.SecondFactorRequired) as error:
            form.add_error("code", error.message)
        else:
            return render(request, "registration/recovery_codes.html",
                          {"codes": codes, "next": reverse("portal:dashboard"), "regenerated": True})
    return render(request, "registration/recovery_codes_regenerate.html", {
        "form": form, "codes_left": sf.recovery_codes_left(request.user),
    }, status=400 if form.errors else 200)
