"""Settings of the portal format (``DUNGHAN_DVCQG_*``): the catalogue and the pseudonym key."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The development key of the officials' pseudonyms; refused outside development and tests.
DEV_PSEUDONYM_KEY: Final = "dev-dvcqg-pseudonym-key"


class DvcqgSettings(BaseSettings):
    """``procedures_file``: the catalogue (``MaTTHC`` → limit, TOML); ``pseudonym_key``: the
    HMAC key of the officials' pseudonyms in ``dossier.assigned``."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_DVCQG_", extra="ignore", frozen=True)

    procedures_file: Path | None = None
    pseudonym_key: SecretStr = SecretStr(DEV_PSEUDONYM_KEY)
