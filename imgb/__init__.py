"""imgb: declarative golden images.

This package is the ground floor: what the reconciler, the providers and the state all speak
(addresses, diagnostics, unknown values, the command language). It imports none of them.
In a source checkout, ``imgb/reconciler``, ``imgb/providers`` and ``imgb/state`` are links to the
top-level folders of the same names, so the tree imports exactly as the installed wheel does.
"""

__version__ = "0.1.0"
