"""The directory as the services hold it: read from a path, re-read when the file changes.

Kubernetes mounts the directory as a ConfigMap file and swaps it on change; the file is
checked (one ``stat``) at most every ``reload_s`` seconds and re-read when its modification
time or size changed. A new file that does not validate is refused: the previous directory
stays in force and the error is logged, so an edit never leaves a service without its units.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dunghan_common.units.loader import UnitDirectoryError, load_units
from dunghan_common.units.model import UnitDirectory

log = logging.getLogger(__name__)


class UnitDirectorySettings(BaseSettings):
    """Where the directory file is and how often it is checked (``DUNGHAN_UNITS_*``)."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_UNITS_", extra="ignore", frozen=True)

    path: Path = Path("config/units.toml")
    reload_s: float = Field(30.0, ge=0)


class UnitDirectorySource:
    """The current directory; ``current()`` re-reads the file when it changed."""

    def __init__(
        self, path: Path, reload_s: float = 30.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._path, self._every, self._monotonic = path, reload_s, monotonic
        self._stamp = self._stat()
        self._directory = load_units(path)  # the first read must succeed: no units, no start
        self._checked = monotonic()

    @classmethod
    def from_settings(cls, settings: UnitDirectorySettings) -> UnitDirectorySource:
        """The source the settings describe."""
        return cls(settings.path, settings.reload_s)

    def current(self) -> UnitDirectory:
        """The directory in force, re-read first if the file changed since the last check."""
        now = self._monotonic()
        if now - self._checked >= self._every:
            self._checked = now
            self._reload_if_changed()
        return self._directory

    def _reload_if_changed(self) -> None:
        stamp = self._stat()
        if stamp == self._stamp:
            return
        try:
            self._directory = load_units(self._path)
        except UnitDirectoryError as exc:
            log.error("unit directory not reloaded", extra={"error": str(exc)[:500]})
            return
        finally:
            self._stamp = stamp
        log.info("unit directory reloaded", extra={"units": len(self._directory)})

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self._path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size


class StaticUnitDirectory:
    """A fixed directory behind the same ``current()`` (tests, one-off tools)."""

    def __init__(self, directory: UnitDirectory) -> None:
        self._directory = directory

    def current(self) -> UnitDirectory:
        """The directory."""
        return self._directory
