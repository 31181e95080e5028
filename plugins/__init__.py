"""AutoCut's reference plugins.

Each module here is a plugin in its own right, registered through the ``autocut`` entry-point
group in ``pyproject.toml`` exactly as a third party's would be; importing this package
registers nothing.
"""
