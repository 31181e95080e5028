"""One suite, run against every registered component of every kind (and the test fakes).

A new plugin in this repository is covered the moment it is registered; a third-party author
runs the same checks with :func:`autocut_core.contracts.check_component`.
"""

from __future__ import annotations

import pytest

from autocut_core import plugins
from autocut_core.contracts import ContractError, check_component
from autocut_core.testing import FakeEncoder, FakePlugin


def _all_registrations():
    plugins.reset()
    with plugins.inline_plugin(FakePlugin, name="autocut-fakes"):
        registrations = list(plugins.get_registry())
    plugins.reset()
    return registrations


REGISTRATIONS = _all_registrations()


def test_every_kind_has_a_component_under_contract():
    kinds = {registration.kind for registration in REGISTRATIONS}
    assert kinds == set(plugins.get_registry().kinds())


@pytest.mark.parametrize(
    "registration", REGISTRATIONS, ids=lambda r: f"{r.kind}:{r.name}:{r.plugin.package}"
)
def test_component_honours_its_contract(registration):
    component = check_component(registration)
    assert component.name == registration.name
    assert component.kind == registration.kind


def test_contract_catches_a_broken_encoder():
    class WrongShape(FakeEncoder):
        name = "wrong-shape"

        def encode_batch(self, items):
            return super().encode_batch(items)[:, :4]

    registration = plugins.get_registry().get("encoder", "histogram")
    broken = type(registration)(registration.kind, "wrong-shape", WrongShape, registration.plugin)
    with pytest.raises(RuntimeError, match=r"returned shape \(3, 4\)"):
        check_component(broken)


def test_contract_catches_a_nondeterministic_encoder():
    import numpy as np

    class Noisy(FakeEncoder):
        name = "noisy"

        def encode_batch(self, items):
            return np.random.default_rng().standard_normal((len(items), self.dim))

    registration = plugins.get_registry().get("encoder", "histogram")
    broken = type(registration)(registration.kind, "noisy", Noisy, registration.plugin)
    with pytest.raises(ContractError, match="is not deterministic"):
        check_component(broken)
