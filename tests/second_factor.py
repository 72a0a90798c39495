"""Test helpers: an authenticator app with a known secret, and the codes it would show."""

from __future__ import annotations

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# 20 bytes in hex; the base-32 text an app would be given is GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ.
KNOWN_KEY = "3132333435363738393031323334353637383930"


def enrolled_device(user, key: str = KNOWN_KEY, tolerance: int = 1) -> TOTPDevice:
    """Give the user a confirmed authenticator app with a known secret.

    `tolerance` is how many time steps either side of now the server accepts (django-otp's default: 1).
    """
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", key=key, confirmed=True, tolerance=tolerance)


def code_at(device: TOTPDevice, steps: int = 0) -> str:
    """Return the code the app shows `steps` time steps from now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def fresh_code(device: TOTPDevice) -> str:
    """Return a code the server has not accepted yet (it takes one per time step, give or take one step).

    Not older than one step: a code from the far end of the tolerance (three steps back) could fall out of it
    before a loaded machine submits the form.
    """
    while True:
        device.refresh_from_db()
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        for steps in range(-min(1, device.tolerance), device.tolerance + 1):
            if totp.t() + steps > device.last_t:
                return code_at(device, steps)
        time.sleep(2)


def force_login_verified(client, user, device: TOTPDevice) -> None:
    """Log the user in as if the password and a code from the device had been entered."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def fill_code(scope, username: str) -> None:
    """Fill a form's code field (signing, releasing) with a fresh code of the user's app, if the form asks for one."""
    field = scope.locator("input[name=otp_code]")
    if field.count():
        field.fill(fresh_code(TOTPDevice.objects.get(user__username=username, confirmed=True)))
