"""The static-files storage: whitenoise's compressed manifest, with each URL worked out once.

Every page asks for the same few URLs ({% static %} in base.html: the stylesheet, the icon,
htmx); the manifest storage recomputed each one on every call (path splitting, the manifest
lookup, urljoin and quoting: about 0.15 ms a page on the bench machines, issue 9). A name's
URL cannot change while the process runs: the manifest is read once, when the storage is
made, and a deployment that collects new files restarts the processes.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CompressedManifestStorageWithUrlCache(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:  # collectstatic's own calls: never cached
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            # A name missing from the manifest raises here and is not remembered.
            url = self._urls[name] = super().url(name)
            return url
