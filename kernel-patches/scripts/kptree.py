"""Shared helper of check-abi.py and check-owners.py."""
import os
import re


def tree_version(tree):
    """VERSION.PATCHLEVEL of a kernel tree ("6.12"); raises OSError or
    ValueError when the tree's Makefile is unreadable or has neither."""
    mk = open(os.path.join(tree, "Makefile")).read()
    v = re.search(r"^VERSION = (\d+)", mk, re.M)
    p = re.search(r"^PATCHLEVEL = (\d+)", mk, re.M)
    if not v or not p:
        raise ValueError("no VERSION/PATCHLEVEL in %s/Makefile" % tree)
    return "%s.%s" % (v.group(1), p.group(1))
