"""Style packs: the manifest schema (schema.py), loading and verifying (pack.py), installing,
removing and listing (install.py). Everything a caller needs is importable from here."""

from animecam.engine.packs.install import bundled_packs, install_pack, installed_packs, remove_pack
from animecam.engine.packs.pack import (
    MANIFEST,
    MAX_PACK_BYTES,
    StyleEntry,
    StylePack,
    data_dir,
    plans_dir,
    sha256_of,
    styles_dir,
    write_pack,
)

__all__ = [
    "MANIFEST",
    "MAX_PACK_BYTES",
    "StyleEntry",
    "StylePack",
    "bundled_packs",
    "data_dir",
    "install_pack",
    "installed_packs",
    "plans_dir",
    "remove_pack",
    "sha256_of",
    "styles_dir",
    "write_pack",
]
