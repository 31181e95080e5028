"""``python -m autocut_core.cli`` runs the ``autocut`` command."""

from autocut_core.cli.app import main

main()
