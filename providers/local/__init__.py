"""The embedded ``local`` provider: real sandboxed OCI image builds, local regions, copies, shares.

Public API: ``LocalProvider`` (the Provider), ``list_images`` and ``build_log`` (for ``imgb images``
and ``imgb logs``), ``import_image`` (for ``imgb image import``), ``default_root``.
"""

from imgb.providers.local.baseimages import BaseImageError, import_image
from imgb.providers.local.provider import LocalProvider, build_log, default_root, list_images

__all__ = ["BaseImageError", "LocalProvider", "build_log", "default_root", "import_image", "list_images"]
