"""``python -m autocut_plugins.lm ...``: the ``autocut`` command line with this plugin loaded.

The same commands as ``autocut train ...``, reachable where the console script is not: under
``torch.distributed.run`` / ``accelerate launch -m``, and before the plugin's entry point is
installed. When the entry point is installed the plugin is already loaded and nothing is added.
"""

from __future__ import annotations

import contextlib


def main() -> None:
    import autocut_plugins.lm as plugin

    from autocut_core.cli import main as autocut_main
    from autocut_core.plugins import get_host, inline_plugin

    host = get_host()
    loaded = any(info.module == plugin.__name__ for info in host.plugins.values()) or (
        "lm" in host.plugins
    )
    context = contextlib.nullcontext() if loaded else inline_plugin(plugin, name="lm")
    with context:
        autocut_main()


if __name__ == "__main__":
    main()
