"""Static files storage: compressed and fingerprinted by whitenoise."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Keep the reference as it is when a third-party stylesheet points at a file it does not ship.

    viewflow's bundled roboto-fontface.css names font weights that are not in its package; a
    missing file there must not stop collectstatic.
    """

    manifest_strict = False

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            return name
