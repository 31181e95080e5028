"""`autocut doctor`: is this machine ready to make an ad, and if not, what to install.

Each check is independent and cheap; none imports a heavy library (optional Python packages
are looked up with ``importlib.util.find_spec``, never imported).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable

from autocut_core.checks import Check, Status
from autocut_core.cli.doctor_models import check_model_evidence
from autocut_core.settings import COMPONENT_CHOICES, AutocutSettings

#: Filters the renderer's filter graph uses (trim, scale, subtitles, mixing, loudness).
REQUIRED_FILTERS = (
    "trim", "atrim", "setpts", "asetpts", "scale", "crop", "pad", "fps", "format", "concat",
    "xfade", "subtitles", "ass", "drawtext", "amix", "sidechaincompress", "loudnorm", "afade",
    "apad", "aformat", "aloop", "ebur128", "volume", "tpad", "adelay", "anullsrc", "asplit",
)  # fmt: skip
REQUIRED_ENCODERS = ("libx264", "aac")
APT_PACKAGES = "ffmpeg espeak-ng fonts-noto-cjk fonts-dejavu-core fontconfig"

#: pip extra -> modules it provides (looked up, not imported).
PYTHON_EXTRAS: dict[str, tuple[str, ...]] = {
    "torch": ("torch", "torchvision"),
    "video": ("timm", "open_clip", "safetensors"),
    "text": ("transformers",),
    "audio": ("scipy",),
    "tokens": ("vector_quantize_pytorch",),
    "index": ("faiss", "annoy"),
    "otio": ("opentimelineio", "otio_cmx3600_adapter", "otio_fcpx_xml_adapter"),
    "render": ("PIL",),
    "plots": ("matplotlib",),
    "lm": ("transformers", "peft", "accelerate", "gguf"),
}


def _run(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"<failed: {error}>"
    return result.stdout + result.stderr


def check_python() -> Check:
    version = ".".join(str(part) for part in sys.version_info[:3])
    return Check("python", "ok", f"{version} ({sys.executable})")


def check_program(program: str, fix: str, version_flag: str = "-version") -> Check:
    path = shutil.which(program)
    if path is None:
        return Check(program, "fail", "not found on PATH", fix)
    first_line = _run([path, version_flag]).splitlines()[:1]
    return Check(program, "ok", first_line[0] if first_line else path)


def _listed_names(listing: str) -> set[str]:
    names = set()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith(" ="):
            names.add(parts[1])
    return names


def check_ffmpeg_features() -> list[Check]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return []
    filters = _listed_names(_run([ffmpeg, "-hide_banner", "-filters"]))
    encoders = _listed_names(_run([ffmpeg, "-hide_banner", "-encoders"]))
    missing_filters = [name for name in REQUIRED_FILTERS if name not in filters]
    missing_encoders = [name for name in REQUIRED_ENCODERS if name not in encoders]
    fix = "install an ffmpeg build with libass, libfreetype and libx264 (Debian's ffmpeg has them)"
    return [
        Check("ffmpeg filters", "fail" if missing_filters else "ok",
              f"missing: {', '.join(missing_filters)}" if missing_filters
              else f"{len(REQUIRED_FILTERS)} required filters present", fix if missing_filters else ""),
        Check("ffmpeg encoders", "fail" if missing_encoders else "ok",
              f"missing: {', '.join(missing_encoders)}" if missing_encoders
              else ", ".join(REQUIRED_ENCODERS), fix if missing_encoders else ""),
    ]  # fmt: skip


def check_fonts() -> list[Check]:
    if shutil.which("fc-list") is None:
        return [Check("fonts", "fail", "fontconfig not found", "apt-get install fontconfig")]
    latin = _run(["fc-list", ":lang=en", "family"]).strip()
    cjk = _run(["fc-list", ":lang=zh", "family"]).strip()
    return [
        Check("font (Latin)", "ok" if latin else "fail",
              latin.splitlines()[0] if latin else "no font covers English",
              "" if latin else "apt-get install fonts-dejavu-core"),
        Check("font (CJK)", "ok" if cjk else "warn",
              cjk.splitlines()[0] if cjk else "no font covers Chinese: CJK subtitles would show boxes",
              "" if cjk else "apt-get install fonts-noto-cjk"),
    ]  # fmt: skip


def check_python_extras() -> list[Check]:
    checks = []
    for extra, modules in PYTHON_EXTRAS.items():
        missing = [module for module in modules if importlib.util.find_spec(module) is None]
        status: Status = "warn" if missing else "ok"
        detail = f"missing {', '.join(missing)}" if missing else ", ".join(modules)
        fix = f"pip install 'autocut[{extra}]'" if missing else ""
        checks.append(Check(f"python extra [{extra}]", status, detail, fix))
    return checks


def check_plugins() -> list[Check]:
    from autocut_core.plugins import get_host

    host = get_host()
    checks = [
        Check("plugins", "ok", f"{len(host.plugins)} loaded, {len(host.registry)} components")
    ]
    for failure in host.failures:
        checks.append(
            Check(f"plugin {failure.name}", "fail", f"{failure.package} {failure.version}: {failure.error}",
                  f"fix or uninstall {failure.package}, or set AUTOCUT_DISABLE_PLUGINS={failure.name}")
        )  # fmt: skip
    for blocked in host.blocked:
        checks.append(Check(f"plugin {blocked.name}", "ok", f"not loaded: {blocked.reason}"))
    return checks


#: Choices whose component is optional: without it the work falls back (ads without a
#: transcript are skipped, subtitles are one cue a line), so its problems are warnings.
OPTIONAL_CHOICES = {
    "transcriber": "optional: without it, ads without a transcript are skipped and subtitles "
    "are one cue per line",
    "separator": "optional: without it, dataset build embeds the mix as the music of ads "
    "without a .bgm sidecar",
}


def check_configured_components(settings: AutocutSettings) -> list[Check]:
    """Every component the settings choose exists, accepts its options and finds its files."""
    checks = []
    for choice in COMPONENT_CHOICES:
        found = _component_checks(settings, choice)
        if choice in OPTIONAL_CHOICES:
            found = [
                Check(c.name, "warn", f"{c.detail} ({OPTIONAL_CHOICES[choice]})", c.fix)
                if c.status == "fail" else c
                for c in found
            ]  # fmt: skip
        checks.extend(found)
    return checks


def _component_checks(settings: AutocutSettings, choice: str) -> list[Check]:
    from autocut_core.errors import AutocutError

    checks: list[Check] = []
    name = getattr(settings, choice)
    if name is None:
        return checks
    label = f"{choice.replace('_', ' ')} '{name}'"
    if choice == "separator" and name.strip().lower() == "none":
        return [Check(label, "ok", "separation turned off: dataset build embeds the mix")]
    try:
        component = settings.create(choice)
    except AutocutError as error:
        return [Check(label, "fail", str(error), "see `autocut plugins`")]
    diagnosed = component.diagnose()
    return diagnosed or [Check(label, "ok", component.description)]


def run_checks(settings: AutocutSettings) -> list[Check]:
    groups: Iterable[Callable[[], Check | list[Check]]] = (
        check_python,
        lambda: check_program("ffmpeg", f"apt-get install {APT_PACKAGES}"),
        lambda: check_program("ffprobe", "apt-get install ffmpeg"),
        check_ffmpeg_features,
        check_fonts,
        check_python_extras,
        check_plugins,
        lambda: check_configured_components(settings),
        lambda: check_model_evidence(settings.captioner),
    )
    checks: list[Check] = []
    for group in groups:
        result = group()
        checks.extend(result if isinstance(result, list) else [result])
    return checks
