import secrets


from scf.audit.services import audit_record, audited

from .models import ApiToken, hash_key


@audited
def api_token_create(*, user, name: str = "", acting_user=None) -> tuple[ApiToken, str]:
    """Create a token and return it with its key; the key is shown once and never stored."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=hash_key(key))
    audit_record(action="api.token.create", target=token, actor=acting_user, note=f"user={user.get_username()}")
    return token, key
