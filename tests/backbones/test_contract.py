"""The backbone contract (autocut_core.contracts), for ``similarity`` as registered and as
configured by default (with the real sentence encoder)."""

from __future__ import annotations

from autocut_core.contracts import check_backbone, check_component
from autocut_core.plugins import get_registry


def test_similarity_honours_the_backbone_contract():
    backbone = check_component(get_registry().get("backbone", "similarity"))
    assert backbone.name == "similarity"


def test_the_default_configuration_honours_it_too(similarity):
    check_backbone(similarity)
