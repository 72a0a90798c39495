"""Release what was prepared, as a second person: the tests' checker in maker-checker."""

from scf.releases.models import Release
from scf.releases.selectors import may_release
from scf.releases.services import release_approve


def release_pending(*checkers) -> list[Release]:
    """Release every pending release, each by the first of `checkers` who did not prepare it and may."""
    released = []
    for release in Release.objects.filter(status=Release.Status.PENDING).order_by("pk"):
        checker = next(user for user in checkers if user.pk != release.prepared_by_id and may_release(user, release))
        released.append(release_approve(release=release, acting_user=checker))
    return released
