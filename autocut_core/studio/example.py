"""The bundled example (``examples/demo``) as a studio project, for a first look.

The example's product facts and script are read from the repository; its footage is made
by the example's own ``make_footage.py`` (photos that ship with Debian's opencv-doc) into
the project's uploads, at a smaller frame than the command-line demo so the storyboard
shows within a minute; its music is the first tracks of the hyperrogue-music library when
installed. The zero-shot ``similarity`` backbone reads the footage's captions, so no model
is needed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from autocut_core import serde
from autocut_core.inputs import load_product, load_script
from autocut_core.studio.errors import NotFound
from autocut_core.studio.project import Project, ProjectSpec, RenderChoices

MUSIC_LIBRARY = Path("/usr/share/hyperrogue/music")
#: Tracks of the library the example offers: indexing all of it (whole songs, decoded for
#: their mood) takes minutes on two cores, and the first look should take one.
EXAMPLE_TRACKS = 6
#: The example's reels at this size (the command-line demo makes 720x1280).
FOOTAGE_SIZE = (360, 640)


def example_folder() -> Path | None:
    """``examples/demo`` of the checkout this package runs from, if there is one."""
    folder = Path(__file__).resolve().parents[2] / "examples" / "demo"
    return folder if (folder / "make_footage.py").is_file() else None


def footage_maker(folder: Path, size: tuple[int, int] = FOOTAGE_SIZE) -> ModuleType:
    """The example's ``make_footage`` module, set to make reels of ``size``."""
    spec = importlib.util.spec_from_file_location(
        "autocut_demo_footage", folder / "make_footage.py"
    )
    if spec is None or spec.loader is None:
        raise NotFound(f"{folder / 'make_footage.py'}: cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.SIZE = size  # type: ignore[attr-defined]  # read by make_reel at call time
    return module


def example_spec(render: RenderChoices | None = None) -> tuple[ProjectSpec, list[Path]]:
    """The example's project spec (no footage yet: :func:`make_example_footage` makes it)
    and the server folders it names, which the studio allows although no ``--media`` does."""
    folder = example_folder()
    if folder is None:
        raise NotFound("the bundled example (examples/demo) is not next to this installation")
    tracks = sorted(MUSIC_LIBRARY.glob("*.ogg")) if MUSIC_LIBRARY.is_dir() else []
    music = [str(track) for track in tracks[:EXAMPLE_TRACKS]]
    product = serde.to_data(load_product(folder / "product.toml"))
    script = list(load_script(folder / "script.txt").sentences)
    spec = ProjectSpec(name="Bundled example: Orchard Fresh", product=product, script=script,
                       music=music, backbone="similarity",
                       render=render or RenderChoices(long_side=1280))  # fmt: skip
    return spec, [MUSIC_LIBRARY] if music else []


def make_example_footage(project: Project, size: tuple[int, int] = FOOTAGE_SIZE) -> None:
    """Make the example's reels into the project's uploads and name them as its footage."""
    folder = example_folder()
    if folder is None:
        raise NotFound("the bundled example (examples/demo) is not next to this installation")
    footage = project.uploads / "footage"
    footage_maker(folder, size).main(str(footage))
    project.save(project.spec().model_copy(update={"footage": [str(footage.resolve())]}))
